// The real TFTP clients (tftp-hpa's `tftp`, `atftp`) and a generic bounded process runner.
import { spawn } from 'node:child_process';
import { programPath } from './programs';
import { LOOPBACK } from './net';

export interface RunResult {
  /** Exit status; null when killed. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time in milliseconds. */
  readonly ms: number;
  /** True if the process had to be killed at the time limit. */
  readonly timedOut: boolean;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
}

/** Runs a program to its end, collecting its output. Never rejects for a non-zero exit. */
export function runProgram(program: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((ok, fail) => {
    const child = spawn(program, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.once('error', (e) => {
      clearTimeout(t);
      fail(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(t);
      ok({ code, signal, stdout, stderr, ms: performance.now() - started, timedOut });
    });
  });
}

export interface ClientGet {
  port: number;
  file: string;
  out: string;
  host?: string;
  timeoutMs?: number;
}

export interface ClientResult extends RunResult {
  /** The program's own idea of success (tftp-hpa exits 0 even after an ERROR packet). */
  readonly ok: boolean;
}

/**
 * `atftp -g` with `--option "blksize N"` / `--option "windowsize N"` when given.
 * atftp exits non-zero when the server sends ERROR or the transfer fails.
 * Throws when atftp is not installed: register the test with
 * `testIf(missingProgram('atftp'), ...)`.
 */
export async function runAtftp(get: ClientGet & { blksize?: number; windowsize?: number; tsize?: boolean }): Promise<ClientResult> {
  const program = programPath('atftp');
  const args: string[] = [];
  if (get.blksize !== undefined) args.push('--option', `blksize ${get.blksize}`);
  if (get.windowsize !== undefined) args.push('--option', `windowsize ${get.windowsize}`);
  if (get.tsize) args.push('--option', 'tsize 0');
  args.push('-g', '-r', get.file, '-l', get.out, get.host ?? LOOPBACK, String(get.port));
  const r = await runProgram(program, args, { timeoutMs: get.timeoutMs });
  return { ...r, ok: r.code === 0 && !r.timedOut };
}

/**
 * tftp-hpa's `tftp HOST PORT -m binary -c get FILE OUT`: lock-step, 512-byte blocks
 * (its client has neither blksize nor windowsize). It exits 0 even when the server
 * refused, so `ok` also looks for its error messages. Throws when it is not installed
 * (`testIf(missingProgram('tftp'), ...)`).
 */
export async function runTftpHpa(get: ClientGet): Promise<ClientResult> {
  const program = programPath('tftp');
  const r = await runProgram(program, [get.host ?? LOOPBACK, String(get.port), '-m', 'binary', '-c', 'get', get.file, get.out], {
    timeoutMs: get.timeoutMs,
  });
  const text = r.stdout + r.stderr;
  const ok = r.code === 0 && !r.timedOut && !/error|timed out|refused/i.test(text);
  return { ...r, ok };
}
