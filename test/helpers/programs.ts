// Locating the real programs the tests run (the Debian TFTP programs, openssl, iproute2...).
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import type { Callback, Test } from 'uvu';
import { testIf } from './ci';

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

const why = new Map<string, string>();

/**
 * Path of a real program: the first executable of `candidates` (undefined entries
 * are ignored, so `process.env.X` can be passed), else `name` on PATH (plus the sbin
 * directories). `accept` may reject a binary that is there but is not the one meant.
 * Undefined when it is missing; `missingProgram(...)` then says why. A test that
 * needs it is registered with `testIf(missingProgram(...), ...)` (helpers/ci.ts), so
 * it is skipped here and fails under CI.
 */
export function findProgram(
  name: string,
  candidates: Array<string | undefined> = [],
  accept?: (path: string) => string | undefined,
): string | undefined {
  const key = `${name}\0${candidates.join('\0')}`;
  if (found.has(key)) return found.get(key);
  let reason = 'not found';
  let path: string | undefined;
  for (const c of [...candidates, onPath(name)]) {
    if (!c || !executable(c)) continue;
    const refused = accept?.(c);
    if (refused) {
      reason = `${c} is not usable: ${refused}`;
      continue;
    }
    path = c;
    break;
  }
  found.set(key, path);
  if (!path) {
    const tried = [...candidates.filter(Boolean), `${name} on PATH`].join(', ');
    why.set(name, `${name} ${reason} (tried ${tried}; "bash .ci/run" as root installs it)`);
  }
  return path;
}

/** The real programs the tests run. */
export type Program = 'in.tftpd' | 'atftpd' | 'atftp' | 'tftp' | 'openssl' | 'script' | 'stty' | 'ip' | 'losetup' | 'mkfs.ext4';

const finders: Record<Program, () => string | undefined> = {
  'in.tftpd': () => inTftpdPath(),
  atftpd: () => atftpdPath(),
  atftp: () => atftpPath(),
  tftp: () => tftpHpaPath(),
  openssl: () => findProgram('openssl'),
  script: () => findProgram('script', ['/usr/bin/script']),
  stty: () => findProgram('stty', ['/usr/bin/stty', '/bin/stty']),
  ip: () => findProgram('ip', ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip']),
  losetup: () => findProgram('losetup', ['/usr/sbin/losetup', '/sbin/losetup']),
  'mkfs.ext4': () => findProgram('mkfs.ext4', ['/usr/sbin/mkfs.ext4', '/sbin/mkfs.ext4']),
};

/** What is missing among `programs` (one clause each), or undefined when all are here. */
export function missingProgram(...programs: Program[]): string | undefined {
  const out: string[] = [];
  for (const p of programs) if (!finders[p]()) out.push(why.get(p) ?? `${p} not found`);
  return out.length > 0 ? out.join('; ') : undefined;
}

/** Path of `program`; throws when it is missing (a test registered with testIf never gets here). */
export function programPath(program: Program): string {
  const path = finders[program]();
  if (!path) throw new Error(missingProgram(program));
  return path;
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

/**
 * Registers a test that runs `programs` (testIf with missingProgram): skipped here with
 * the reason when one is missing, failing under CI.
 */
export function testWith<T>(programs: Program[], name: string, fn: Callback<T>, on?: Test<T>): void {
  testIf(missingProgram(...programs), name, fn, on);
}
