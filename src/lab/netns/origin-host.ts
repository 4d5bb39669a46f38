import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createLogger } from '../../log/logger';
import { TftpServer } from '../../net/tftp/server';
import { WanEmulator } from '../../net/wan';
import { startHttpOrigin } from '../http-origin';
import { LabError } from '../errors';

/** Messages between the lab and the origin process it runs in the origin's namespace. */
export type ToOrigin =
  | {
      type: 'origin';
      /** The TFTP server's folder. */
      dir: string;
      /** Where the site reaches the origin (the WAN emulator's socket). */
      listen: { address: string; port: number };
      /** Rate the emulator applies, bits/s; absent: none (the link's tbf sets the rate). */
      rate?: number;
      /** File for the origin's log lines. */
      logFile: string;
      rttMs: number;
      loss: number;
      /**
       * `--origin http`: also an HTTP load server on this port of the listen address,
       * behind a TCP WAN at `rate` bits/s (sizing its buffer; the link's tbf has the same rate).
       */
      http?: { port: number; rate: number };
    }
  | { type: 'stop' };
/** `bytesSent` and `bytesByFile` count both servers; `httpBytes` the HTTP load server's body bytes among them. */
export type FromOrigin = { type: 'ready' } | { type: 'stats'; bytesSent: number; bytesByFile: [string, number][]; httpBytes?: number };

/**
 * The body of `pfs lab-host origin`, started by the namespace lab inside the
 * origin's namespace: a TFTP server on that namespace's loopback, behind the
 * user-space WAN emulator (the delay; the namespace's link has the rate), and
 * its byte counts reported to the lab over IPC.
 */
export async function runOriginHost(): Promise<number> {
  if (!process.send) {
    process.stderr.write('pfs lab-host origin is started by "pfs lab --netns", not by hand\n');
    return 2;
  }
  const send = (m: FromOrigin) => process.connected && process.send!(m);
  let out: WriteStream | undefined;
  const log = createLogger('ORIGIN', { level: 'INF', sinks: [{ writeLine: (l) => void out?.write(l + '\n') }] });
  let server: TftpServer | undefined;
  let wan: WanEmulator | undefined;
  let web: { stats: { bytesSent: number; bytesByFile: Map<string, number> }; stop(): Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const report = () => {
    if (!server) return;
    const byFile = new Map(server.stats.bytesByFile);
    for (const [k, v] of web?.stats.bytesByFile ?? []) byFile.set(k, (byFile.get(k) ?? 0) + v);
    send({ type: 'stats', bytesSent: server.stats.bytesSent + (web?.stats.bytesSent ?? 0), bytesByFile: [...byFile], ...(web ? { httpBytes: web.stats.bytesSent } : {}) });
  };
  const stop = async () => {
    clearInterval(timer);
    report();
    await wan?.stop();
    await web?.stop();
    await server?.stop();
    out?.end();
  };
  return new Promise<number>((resolve) => {
    process.on('message', async (m: ToOrigin) => {
      if (m.type === 'origin') {
        out = createWriteStream(m.logFile);
        // Every board reaches the origin through the WAN emulator: the whole site is one client address,
        // and the WAN's bandwidth-delay product may want windows past the 128 KiB a public server allows.
        server = new TftpServer({ root: m.dir, port: 0, maxWindowsize: 1024, pipeline: 2, maxTransfers: 4096, maxPerClient: 4096, maxWindowBytes: Infinity, logger: log.child('TFTP') });
        await server.start();
        const a = server.address();
        wan = new WanEmulator({ listen: m.listen, origin: { address: a.address, port: a.port }, rate: m.rate ?? Infinity, rttMs: m.rttMs, loss: m.loss, logger: log.child('WAN') });
        await wan.start();
        if (m.http) web = await startHttpOrigin(m.dir, { address: m.listen.address, port: m.http.port }, m.http.rate, m.rttMs, log);
        timer = setInterval(report, 200);
        send({ type: 'ready' });
      } else if (m.type === 'stop') {
        await stop();
        process.disconnect?.();
        resolve(0);
      }
    });
    // The lab went away (crashed, killed): do not outlive it.
    process.on('disconnect', () => void stop().then(() => resolve(0)));
  });
}

/** The lab's handle on an origin process. */
export class OriginProcess {
  private latest: { bytesSent: number; bytesByFile: Map<string, number>; httpBytes?: number } = { bytesSent: 0, bytesByFile: new Map<string, number>() };
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((ok) => child.once('exit', () => ok()));
    child.on('message', (m: FromOrigin) => {
      if (m.type === 'stats') this.latest = { bytesSent: m.bytesSent, bytesByFile: new Map(m.bytesByFile), httpBytes: m.httpBytes };
    });
  }

  start(m: Extract<ToOrigin, { type: 'origin' }>): Promise<void> {
    return new Promise((ok, fail) => {
      const onMsg = (r: FromOrigin) => {
        if (r.type !== 'ready') return;
        this.child.off('message', onMsg);
        this.child.off('exit', onExit);
        ok();
      };
      const onExit = (code: number | null, sig: string | null) => fail(new LabError(`the origin's process exited early (code ${code}, signal ${sig}): its log is ${m.logFile}`));
      this.child.on('message', onMsg);
      this.child.once('exit', onExit);
      this.child.send(m);
    });
  }

  get stats(): { bytesSent: number; bytesByFile: Map<string, number>; httpBytes?: number } {
    return this.latest;
  }

  /** Asks for the final counts, then stops the process. */
  async stop(): Promise<void> {
    this.child.once('disconnect', () => this.child.kill('SIGTERM'));
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies ToOrigin);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }
}
