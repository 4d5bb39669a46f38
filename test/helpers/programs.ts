// Locating the real Debian TFTP programs the interop tests run.
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';

const found = new Map<string, string | undefined>();

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin']);
  for (const d of dirs) {
    if (d && executable(join(d, name))) return join(d, name);
  }
  return undefined;
}

/**
 * Path of a real program: the first executable of `candidates` (undefined entries
 * are ignored, so `process.env.X` can be passed), else `name` on PATH (plus the sbin
 * directories). `accept` may reject a binary that is there but is not the one meant.
 *
 * When it is missing: under `CI=true` this throws, so the test fails; on a developer's
 * machine it warns loudly and returns undefined, and the test returns early.
 */
export function findProgram(
  name: string,
  candidates: Array<string | undefined> = [],
  accept?: (path: string) => string | undefined,
): string | undefined {
  const key = `${name}\0${candidates.join('\0')}`;
  if (found.has(key)) return missing(name, found.get(key));
  let why = 'not found';
  let path: string | undefined;
  for (const c of [...candidates, onPath(name)]) {
    if (!c || !executable(c)) continue;
    const refused = accept?.(c);
    if (refused) {
      why = `${c} is not usable: ${refused}`;
      continue;
    }
    path = c;
    break;
  }
  if (!path) {
    const tried = [...candidates.filter(Boolean), `${name} on PATH`].join(', ');
    const msg = `${name} ${why} (tried ${tried})`;
    found.set(key, undefined);
    if (process.env.CI === 'true') throw new Error(`required program missing under CI: ${msg}; .ci/run installs it`);
    console.warn(`\n!!!!!!!! SKIPPING: ${msg}. Run "bash .ci/run" (as root) to install the real TFTP programs. !!!!!!!!\n`);
    return undefined;
  }
  found.set(key, path);
  return path;
}

function missing(name: string, path: string | undefined): string | undefined {
  if (path) return path;
  if (process.env.CI === 'true') throw new Error(`required program missing under CI: ${name}`);
  console.warn(`!!!!!!!! SKIPPING: ${name} is missing (see the message above) !!!!!!!!`);
  return undefined;
}

/** tftpd-hpa's server. The atftpd package ships an `in.tftpd` link too: refuse that one. */
export function inTftpdPath(): string | undefined {
  return findProgram('in.tftpd', ['/usr/sbin/in.tftpd'], (p) => {
    const r = spawnSync(p, ['-V'], { encoding: 'utf8', timeout: 5000 });
    const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    return text.includes('tftp-hpa') ? undefined : `"${p} -V" does not say tftp-hpa`;
  });
}

/** atftpd, which conflicts with tftpd-hpa as a package; .ci/run extracts it into /opt/atftpd. */
export function atftpdPath(): string | undefined {
  return findProgram('atftpd', [process.env.PFS_ATFTPD, '/opt/atftpd/usr/sbin/atftpd']);
}

/** atftp's client. */
export function atftpPath(): string | undefined {
  return findProgram('atftp', ['/usr/bin/atftp']);
}

/** tftp-hpa's client (`tftp`); other `tftp` clients take other arguments, so check. */
export function tftpHpaPath(): string | undefined {
  return findProgram('tftp', ['/usr/bin/tftp'], (p) => {
    const r = spawnSync(p, ['-V'], { encoding: 'utf8', timeout: 5000 });
    const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    return text.includes('tftp-hpa') ? undefined : `"${p} -V" does not say tftp-hpa`;
  });
}
