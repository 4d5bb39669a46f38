// The programs pfs image writes with: Debian's mtools (FAT) and e2fsprogs' debugfs (ext4).
// Neither mounts anything, so pfs image needs no root and no loop device.
import { childProcess } from '../io/builtins';
import { PfsError } from '../errors';

/** The Debian package that brings each program, for the message when it is missing. */
const PACKAGE: Record<string, string> = { mcopy: 'mtools', mdir: 'mtools', mmd: 'mtools', debugfs: 'e2fsprogs' };

/** mtools without ~/.mtoolsrc or a drive check; debugfs without a pager; the C locale for parsing. */
const env = () => ({ ...process.env, LC_ALL: 'C', MTOOLS_SKIP_CHECK: '1', MTOOLSRC: '/dev/null', DEBUGFS_PAGER: '__none__', PAGER: '__none__' });

export interface ToolOutput {
  stdout: string;
  stderr: string;
}

/**
 * Runs `program args`, resolving to its output when it exits 0. Throws
 * PFS_ERR_IMAGE_TOOL naming the program (and its Debian package when it is missing,
 * or its first line of stderr when it fails) and the image.
 */
export function runTool(program: string, args: string[], image: string): Promise<ToolOutput> {
  return new Promise((resolve, reject) => {
    childProcess().execFile(program, args, { env: env(), maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: string | number };
      if (e.code === 'ENOENT') {
        return reject(new PfsError('PFS_ERR_IMAGE_TOOL', `${program} not found: install Debian's ${PACKAGE[program] ?? program} to write ${image}`));
      }
      const why = stderr.split('\n').find((l) => l.trim() !== '') ?? `exit ${e.code}`;
      reject(new PfsError('PFS_ERR_IMAGE_TOOL', `${program} failed on ${image}: ${why.trim()}`, { cause: err }));
    });
  });
}
