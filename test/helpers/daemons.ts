// The real TFTP servers (tftpd-hpa's in.tftpd, atftpd), run in the foreground on
// 127.0.0.1 and a free high port, started and stopped by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { programPath } from './programs';
import { freeUdpPort, LOOPBACK, until } from './net';

export interface RunningDaemon {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  /** What the daemon printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM to its whole process group (it may have forked per transfer), SIGKILL after 2 s. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) killGroup(c, 'SIGKILL');
});

function killGroup(c: ChildProcess, sig: NodeJS.Signals): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, sig);
  } catch {
    try {
      c.kill(sig);
    } catch {
      // already gone
    }
  }
}

/**
 * Sends a read request for a file that does not exist and resolves true if anything
 * answers within `ms` (an ERROR 1 from a live server).
 */
export async function probeTftp(port: number, ms = 200): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  try {
    await new Promise<void>((ok) => s.bind(0, LOOPBACK, () => ok()));
    const rrq = Buffer.concat([Buffer.from([0, 1]), Buffer.from('pfs-probe-no-such-file\0octet\0')]);
    return await new Promise<boolean>((ok) => {
      const t = setTimeout(() => ok(false), ms);
      s.once('message', () => {
        clearTimeout(t);
        ok(true);
      });
      s.send(rrq, port, LOOPBACK);
    });
  } finally {
    s.close();
  }
}

async function startDaemon(name: string, program: string, args: (port: number) => string[]): Promise<RunningDaemon> {
  let lastFailure = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort();
    const child = spawn(program, args(port), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    let exited = false;
    const exit = new Promise<void>((ok) => {
      child.once('exit', () => {
        exited = true;
        running.delete(child);
        ok();
      });
      child.once('error', (e) => {
        out += `spawn error: ${e.message}\n`;
        exited = true;
        running.delete(child);
        ok();
      });
    });
    const stop = async () => {
      killGroup(child, 'SIGTERM');
      const t = setTimeout(() => killGroup(child, 'SIGKILL'), 2000);
      await exit;
      clearTimeout(t);
      // Children forked per transfer are in the same group; make sure none is left.
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group is empty
        }
      }
    };
    // A daemon says nothing when it is ready: ask it until it answers (or exits).
    let answered = false;
    await until(async () => exited || (answered = await probeTftp(port, 150)), { timeoutMs: 5000, what: `${name} to answer`, everyMs: 30 }).catch(() => undefined);
    if (answered) return { name, port, pid: child.pid!, output: () => out, stop };
    await stop();
    lastFailure = `${name} (${program} ${args(port).join(' ')}) did not answer on ${LOOPBACK}:${port}${exited ? ' and exited' : ''}: ${out.trim() || '(no output)'}`;
  }
  throw new Error(lastFailure);
}

/**
 * tftpd-hpa in the foreground, chrooted into `dir` (which must be world-readable).
 * Throws when it is not installed: register the test with `testIf(missingProgram('in.tftpd'), ...)`.
 */
export async function startInTftpd(dir: string, extraArgs: string[] = []): Promise<RunningDaemon> {
  const program = programPath('in.tftpd');
  return startDaemon('in.tftpd', program, (port) => ['-L', '-a', `${LOOPBACK}:${port}`, '-s', '-u', 'root', ...extraArgs, dir]);
}

/** atftpd in the foreground, serving `dir`. Throws when it is not installed (`missingProgram('atftpd')`). */
export async function startAtftpd(dir: string, extraArgs: string[] = []): Promise<RunningDaemon> {
  const program = programPath('atftpd');
  return startDaemon('atftpd', program, (port) => [
    '--daemon',
    '--no-fork',
    '--port',
    String(port),
    '--bind-address',
    LOOPBACK,
    '--user',
    'root',
    '--group',
    'root',
    '--logfile',
    '/dev/null',
    ...extraArgs,
    dir,
  ]);
}
