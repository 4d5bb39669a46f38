import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../io/builtins';
import type { AddressInfo } from 'node:net';
import { PfsError } from '../errors';
import type { TreeSnapshot } from './model';
import { STATUS_PAGE } from './page';

/**
 * The status page of `pfs tree --http`: `/` the page (one HTML file, SVG drawn by
 * its script), `/events` the snapshots as server-sent events (one at connect, then
 * one per publish()), `/snapshot.json` the current one. Read-only: GET only.
 */
export class StatusPage {
  private readonly server: Server;
  private readonly streams = new Set<ServerResponse>();

  constructor(private readonly current: () => TreeSnapshot) {
    this.server = http().createServer((req, res) => this.handle(req, res));
  }

  /** Listens; resolves with the address bound (port 0: one from the kernel). Throws PFS_ERR_NETWORK naming the address. */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((ok, fail) => {
      this.server.once('error', (e) => fail(new PfsError('PFS_ERR_NETWORK', `pfs tree --http ${host}:${port}: ${e.message}`)));
      this.server.listen(port, host, () => {
        const a = this.server.address() as AddressInfo;
        ok({ host: a.address, port: a.port });
      });
    });
  }

  /** Sends `s` to every open page. */
  publish(s: TreeSnapshot): void {
    const frame = `data: ${JSON.stringify(s)}\n\n`;
    for (const r of this.streams) r.write(frame);
  }

  close(): Promise<void> {
    for (const r of this.streams) r.end();
    this.streams.clear();
    return new Promise((ok) => this.server.close(() => ok()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(STATUS_PAGE);
    } else if (path === '/snapshot.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(this.current()));
    } else if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`retry: 1000\ndata: ${JSON.stringify(this.current())}\n\n`);
      this.streams.add(res);
      req.on('close', () => this.streams.delete(res));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }
}
