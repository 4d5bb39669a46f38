// The HTTP servers the HTTP origin tests talk to: Debian's lighttpd, started by the
// test on a loopback port the kernel chose (handed over as a listening socket, the
// systemd way, so there is no port to guess and no wait for it to bind), a proxy in
// front of it that cuts connections after so many bytes, and a server that never answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { findProgram } from '../../helpers/programs';

export function lighttpdPath(): string | undefined {
  return findProgram('lighttpd', ['/usr/sbin/lighttpd']);
}

/** Why lighttpd cannot run here (for testIf), or undefined. */
export function missingLighttpd(): string | undefined {
  return lighttpdPath() ? undefined : 'lighttpd not found (tried /usr/sbin/lighttpd and PATH; "bash .ci/run" as root installs it)';
}

export interface Lighttpd {
  port: number;
  /** `http://127.0.0.1:PORT/` */
  url: string;
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/**
 * lighttpd serving `docRoot` on 127.0.0.1 at a port from the kernel; `ranges: false`
 * turns its range support off (it then answers a range request with the whole file, 200).
 * `scratch` holds its configuration and error log.
 */
export async function startLighttpd(docRoot: string, scratch: string, o: { ranges?: boolean } = {}): Promise<Lighttpd> {
  const listener = net.createServer();
  await new Promise<void>((ok, fail) => {
    listener.once('error', fail);
    listener.listen(0, '127.0.0.1', ok);
  });
  const port = (listener.address() as net.AddressInfo).port;
  const conf = join(scratch, `lighttpd-${port}.conf`);
  await writeFile(
    conf,
    [
      `server.document-root = "${docRoot}"`,
      // The same address and port as the socket handed over, so lighttpd binds nothing itself.
      'server.bind = "127.0.0.1"',
      `server.port = ${port}`,
      'server.systemd-socket-activation = "enable"',
      `server.errorlog = "${join(scratch, `lighttpd-${port}.log`)}"`,
      `server.range-requests = "${o.ranges === false ? 'disable' : 'enable'}"`,
      '',
    ].join('\n'),
  );
  let out = '';
  // LISTEN_PID must be lighttpd's own pid: the shell's, which exec keeps.
  const child = spawn('sh', ['-c', `LISTEN_PID=$$ LISTEN_FDS=1 exec ${lighttpdPath()} -D -f ${conf}`], {
    stdio: ['ignore', 'pipe', 'pipe', (listener as unknown as { _handle: unknown })._handle as never],
  });
  running.add(child);
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // lighttpd holds the socket now; ours must not take its connections.
  listener.close();
  const exited = new Promise<void>((ok) => child.once('close', () => ok()));
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    output: () => out,
    async stop() {
      running.delete(child);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface CuttingProxy {
  port: number;
  url: string;
  /** Each request's head as the proxy saw it, in order. */
  requests: string[];
  /** Bytes passed from the server to the client, over all connections. */
  bytesDown(): number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of `target` that cuts connection i (both sides) once it has
 * passed `cutAfter[i]` bytes of the server's answer; later connections pass whole.
 */
export async function cuttingProxy(target: number, cutAfter: number[]): Promise<CuttingProxy> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  let down = 0;
  let n = 0;
  const server = net.createServer((client) => {
    const limit = cutAfter[n++] ?? Infinity;
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    let passed = 0;
    let head = '';
    client.on('data', (d: Buffer) => {
      if (head.length < 4096) {
        head += d.toString('latin1');
        if (head.includes('\r\n\r\n')) requests.push(head.split('\r\n\r\n')[0]!);
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      const room = limit - passed;
      const part = d.length <= room ? d : d.subarray(0, room);
      passed += part.length;
      down += part.length;
      if (part.length > 0) client.write(part);
      if (passed >= limit) {
        client.destroy();
        upstream.destroy();
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    requests,
    bytesDown: () => down,
    connections: () => n,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

/** A TCP server that accepts connections and never answers. */
export async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}
