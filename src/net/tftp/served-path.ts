import { constants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { PfsError } from '../../errors';
import { ErrorCode } from './packet';

/** A request the server refuses; `tftpCode` is what goes into the ERROR packet. */
export class ServedPathError extends PfsError {
  constructor(
    readonly tftpCode: number,
    message: string,
  ) {
    super('PFS_ERR_TFTP_PATH', message);
  }
}

/**
 * Opens `requested` inside `root`, refusing anything that would read outside it:
 * absolute names, `..` segments, and symlinks whose target lies outside the root;
 * and anything that is not a regular file (FIFO, device, socket, directory).
 */
export async function resolveServedFile(root: string, requested: string): Promise<{ handle: FileHandle; size: number }> {
  if (requested === '') throw new ServedPathError(ErrorCode.FileNotFound, 'empty file name');
  if (requested.startsWith('/') || requested.startsWith('\\') || /^[a-zA-Z]:/.test(requested)) {
    throw new ServedPathError(ErrorCode.AccessViolation, 'absolute paths are not served');
  }
  if (requested.split(/[\\/]/).includes('..')) throw new ServedPathError(ErrorCode.AccessViolation, '".." is not allowed');
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(join(realRoot, requested));
  } catch (e) {
    throw fsError(e, requested);
  }
  if (!real.startsWith(realRoot + sep)) throw new ServedPathError(ErrorCode.AccessViolation, 'path leads outside the served directory');
  // Only regular files. A FIFO, device or socket is refused before it is opened (opening
  // a FIFO blocks a libuv thread until a writer comes: four of them stopped the server),
  // and the open itself never blocks (O_NONBLOCK); fstat on the descriptor then checks
  // that what was opened is still that regular file.
  let before;
  try {
    before = await stat(real);
  } catch (e) {
    throw fsError(e, requested);
  }
  if (!before.isFile()) throw new ServedPathError(ErrorCode.AccessViolation, `not a regular file: ${requested}`);
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    throw fsError(e, requested);
  }
  const st = await handle.stat();
  if (!st.isFile() || st.ino !== before.ino || st.dev !== before.dev) {
    await handle.close();
    throw new ServedPathError(ErrorCode.AccessViolation, `not a regular file: ${requested}`);
  }
  return { handle, size: st.size };
}

function fsError(e: unknown, name: string): ServedPathError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new ServedPathError(ErrorCode.FileNotFound, `file not found: ${name}`);
  if (code === 'EACCES' || code === 'EPERM') return new ServedPathError(ErrorCode.AccessViolation, `access denied: ${name}`);
  return new ServedPathError(ErrorCode.NotDefined, `cannot open ${name}: ${code ?? String(e)}`);
}
