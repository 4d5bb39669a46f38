// The runtime a load carries (src/loads/runtime.ts) is what runs the board once it has
// rebooted into that load. The installed pfs (/opt/pfs/pfs, the unit's ExecStart, which
// no upgrade changes) stays the launcher: its `pfs boot` counts the boot of the active
// slot, then hands the board over to the slot's runtime, a child with the same
// arguments. So a runtime that dies at once still has its boots counted and is rolled
// back, whatever the slot's medium (a file in a folder, or raw flash a shell cannot read).
import { childProcess } from '../io/builtins';
import { closeSync, writeSync } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { PfsError } from '../errors';
import type { Flash, SlotName } from '../hal/flash/flash';
import { runtimeComponent, type RuntimeArch } from '../loads/runtime';

/** The environment variable that tells a slot's runtime it was started by the launcher, and for which load. */
export const HANDOVER_ENV = 'PFS_SLOT_RUNTIME';

/** What the launcher tells the runtime it starts: the boot it counted. */
export interface Handover {
  load: string;
  slot: SlotName;
  /** The load is on trial: the runtime confirms it once it reaches the network. */
  trial: boolean;
  /** A descriptor the launcher listens on: the runtime writes a line there once it came up. */
  upFd?: number;
}

/**
 * The handover this process was started with, or undefined when it was not started by
 * a launcher (then it is the launcher). A malformed value counts as none.
 */
export function inheritedHandover(env: NodeJS.ProcessEnv = process.env): Handover | undefined {
  const raw = env[HANDOVER_ENV];
  if (!raw) return undefined;
  try {
    const h = JSON.parse(raw) as Partial<Handover>;
    if (typeof h.load === 'string' && (h.slot === 'A' || h.slot === 'B') && typeof h.trial === 'boolean') {
      return { load: h.load, slot: h.slot, trial: h.trial, ...(Number.isInteger(h.upFd) && h.upFd! > 2 ? { upFd: h.upFd } : {}) };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** The component name of the active load's runtime for `arch`, or null when the load carries none (or there is no load). */
export async function slotRuntime(flash: Flash, arch: RuntimeArch): Promise<string | null> {
  const name = runtimeComponent(arch);
  const r = await flash.readActive(name);
  if (!r) return null;
  await r.close();
  return name;
}

/**
 * A path the active load's component `name` can be executed from, with the execute bit
 * set (mode 0755): the slot's own file when the back-end keeps files as files (`dir`: a
 * release executable is tens of MB, too big to copy into a board's RAM-backed /run),
 * else a copy in `dir/name` (raw flash cannot be executed in place), which appears whole
 * or not at all. PFS_ERR_RUNTIME when it cannot be read or written (the file named).
 */
export async function extractRuntime(flash: Flash, name: string, dir: string): Promise<string> {
  const inPlace = await flash.activeFilePath?.(name);
  if (inPlace) {
    try {
      await chmod(inPlace, 0o755);
    } catch (e) {
      throw new PfsError('PFS_ERR_RUNTIME', `runtime ${inPlace}: cannot make it executable: ${(e as Error).message}`, { cause: e });
    }
    return inPlace;
  }
  const path = join(dir, name);
  const tmp = `${path}.tmp-${process.pid}`;
  const src = await flash.readActive(name);
  if (!src) throw new PfsError('PFS_ERR_RUNTIME', `runtime ${name}: not in the active load`);
  try {
    await mkdir(dir, { recursive: true });
    const out = await open(tmp, 'w', 0o755);
    try {
      const buf = Buffer.alloc(1 << 20);
      for (let at = 0; at < src.size; ) {
        const n = await src.read(buf, 0, Math.min(buf.length, src.size - at), at);
        if (n === 0) throw new Error(`the slot gave ${at} of ${src.size} bytes`);
        await out.write(buf, 0, n, at);
        at += n;
      }
    } finally {
      await out.close();
    }
    await chmod(tmp, 0o755);
    await rename(tmp, path);
    return path;
  } catch (e) {
    await rm(tmp, { force: true });
    throw new PfsError('PFS_ERR_RUNTIME', `runtime ${name}: cannot copy it to ${dir}: ${(e as Error).message}`, { cause: e });
  } finally {
    await src.close();
  }
}

/** The runtime's side of `upFd`: says it came up, once (the descriptor is closed and forgotten); nothing when the launcher does not listen. */
export function reportUp(h: Handover): void {
  const fd = h.upFd;
  if (fd === undefined) return;
  // Forgotten first: a closed descriptor's number may soon be another file's.
  h.upFd = undefined;
  try {
    writeSync(fd, 'up\n');
    closeSync(fd);
  } catch {
    // The launcher is gone or never listened: nobody to tell.
  }
}

/** Grace between SIGTERM and SIGKILL for a runtime stopped at its deadline, ms. */
const KILL_GRACE_MS = 10_000;

/**
 * Runs the runtime at `path` with `argv` (what this `pfs` was given after its own
 * name) and the handover in its environment, sharing standard input, output and error;
 * SIGTERM, SIGINT and SIGHUP are passed on to it. With `deadline`, a runtime that has not
 * said it came up (reportUp) within `ms` is told `onLate()` and stopped (SIGTERM, then
 * SIGKILL 10 s later). Resolves its exit code, 128 + the signal's number when a signal
 * ended it. One that cannot be started (not executable, for another CPU, a script whose
 * interpreter is missing) rejects with PFS_ERR_RUNTIME.
 */
export function runRuntime(path: string, argv: readonly string[], handover: Handover, deadline?: { ms: number; onLate: () => void }): Promise<number> {
  return new Promise((resolve, reject) => {
    const told: Handover = deadline ? { ...handover, upFd: 3 } : handover;
    const child = childProcess().spawn(path, argv, { stdio: deadline ? ['inherit', 'inherit', 'inherit', 'pipe'] : 'inherit', env: { ...process.env, [HANDOVER_ENV]: JSON.stringify(told) } });
    const pass = (sig: NodeJS.Signals) => child.kill(sig);
    const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
    for (const s of signals) process.on(s, pass);
    let late: NodeJS.Timeout | undefined;
    let kill: NodeJS.Timeout | undefined;
    if (deadline) {
      const up = child.stdio[3] as NodeJS.ReadableStream | null;
      up?.once('data', () => clearTimeout(late));
      up?.on('error', () => {});
      late = setTimeout(() => {
        deadline.onLate();
        child.kill('SIGTERM');
        kill = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      }, deadline.ms);
    }
    const done = () => {
      clearTimeout(late);
      clearTimeout(kill);
      for (const s of signals) process.off(s, pass);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      done();
      reject(new PfsError('PFS_ERR_RUNTIME', `runtime ${path}: cannot start it (${e.code ?? e.message})`, { cause: e }));
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
