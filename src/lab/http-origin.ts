import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type http from 'node:http';
import { http as httpModule } from '../io/builtins';
import { join } from 'node:path';
import type { Logger } from '../log/logger';
import { silentLogger } from '../log/logger';
import { TcpWan } from '../net/tcp-wan';

/**
 * The lab's HTTP load server: the origin folder over HTTP/1.1 with single ranges
 * (`bytes=N-`, `bytes=N-M`), as CUCM's port 6970 serves its TFTP files. Plain
 * names only: a path with a slash or `..` is 404. The lab counts what crosses the
 * WAN at its TCP WAN (src/net/tcp-wan.ts), not here: what this server wrote may still
 * wait in socket buffers. Tests of the client run against Debian's
 * lighttpd instead (test/net/http); this one needs nothing installed.
 */
export class LabHttpOrigin {
  private server?: http.Server;
  private readonly log: Logger;

  constructor(
    private readonly dir: string,
    logger?: Logger,
  ) {
    this.log = logger ?? silentLogger;
  }

  async start(): Promise<{ address: string; port: number }> {
    const server = httpModule().createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => ok());
    });
    this.server = server;
    return this.address();
  }

  address(): { address: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new Error('lab HTTP origin not started');
    return { address: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((ok) => s.close(() => ok()));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    const size = /^[A-Za-z0-9._+-]+$/.test(name) && name !== '..' && req.method === 'GET' ? await fileSize(join(this.dir, name)) : undefined;
    if (size === undefined) {
      res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-length': 0 }).end();
        return;
      }
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1, 'accept-ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' });
    }
    this.log.dbg(`GET ${name}`, { from: start, to: end });
    const body = createReadStream(join(this.dir, name), { start, end, highWaterMark: 256 << 10 });
    body.on('error', () => res.destroy());
    res.on('close', () => body.destroy());
    body.pipe(res);
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/** A lab HTTP load server behind its TCP WAN, as the site reaches it. */
export interface RunningHttpOrigin {
  /** `http://ADDRESS:PORT/`: the TCP WAN's side towards the site. */
  url: string;
  /** Body bytes that crossed the WAN, per file (counted where they reach the site). */
  readonly stats: { bytesSent: number; bytesByFile: Map<string, number> };
  stop(): Promise<void>;
}

/**
 * `--origin http`: the lab's HTTP load server serving `dir`, behind a TCP WAN at `rate`
 * bits/s and `rttMs` listening on `listen` (port 0: from the kernel).
 */
export async function startHttpOrigin(dir: string, listen: { address: string; port: number }, rate: number, rttMs: number, log: Logger): Promise<RunningHttpOrigin> {
  const web = new LabHttpOrigin(dir, log.child('HTTP'));
  const at = await web.start();
  // The server's own count would run ahead by what waits in its socket buffers.
  const stats = { bytesSent: 0, bytesByFile: new Map<string, number>() };
  const onHttpBody = (path: string, bytes: number) => {
    const name = path.replace(/^\//, '');
    stats.bytesSent += bytes;
    stats.bytesByFile.set(name, (stats.bytesByFile.get(name) ?? 0) + bytes);
  };
  const wan = new TcpWan({ listen, origin: at, rate, rttMs, onHttpBody, logger: log.child('WAN') });
  try {
    await wan.start();
  } catch (e) {
    await web.stop();
    throw e;
  }
  const a = wan.address();
  return { url: `http://${a.address}:${a.port}/`, stats, stop: () => wan.stop().then(() => web.stop()) };
}
