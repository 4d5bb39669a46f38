// The HTTP range client against a real Debian HTTP server (lighttpd on loopback): a
// whole file, a resume by range after the connection is cut, a server that ignores
// ranges, a missing file, and the errors a technician meets (each code, with the
// server and the file in the message).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { httpGet, type HttpGetOptions } from '../../../src/net/http/range-get';
import { seededBytes } from '../../../src/lab/firmware';
import { createLogger } from '../../../src/log/logger';
import type { PfsError } from '../../../src/errors';
import { testIf } from '../../helpers/ci';
import { cuttingProxy, missingLighttpd, silentServer, startLighttpd } from './servers';

const SIZE = 3 * 1024 * 1024 + 123;
const FILE = 'SCCP41.9-4-2SR2-2S.sbn';

async function withSite(fn: (s: { dir: string; data: Buffer }) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-http-'));
  try {
    const data = seededBytes('http', SIZE);
    await writeFile(join(dir, FILE), data);
    await fn({ dir, data });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Pulls the whole file; every other chunk pauses the download, resumed on the next turn. */
async function pull(o: HttpGetOptions): Promise<{ bytes: Buffer; lines: string[] }> {
  const lines: string[] = [];
  const dl = httpGet({ ...o, logger: createLogger('HTTP', { level: 'DBG', sinks: [{ writeLine: (l) => void lines.push(l) }] }) });
  const parts: Buffer[] = [];
  let n = 0;
  await dl.deliver((c) => {
    parts.push(c);
    if (n++ % 2 === 0) return true;
    setImmediate(() => dl.resume());
    return false;
  });
  return { bytes: Buffer.concat(parts), lines };
}

async function rejection(p: Promise<unknown>): Promise<PfsError> {
  try {
    await p;
  } catch (e) {
    return e as PfsError;
  }
  throw new Error('expected the download to fail');
}

testIf(missingLighttpd(), 'lighttpd: a whole file, paused and resumed by the sink, arrives byte for byte', async () => {
  await withSite(async ({ dir, data }) => {
    const h = await startLighttpd(dir, dir);
    try {
      const { bytes } = await pull({ url: h.url + FILE, size: SIZE });
      assert.is(bytes.length, SIZE);
      assert.ok(bytes.equals(data), 'the same bytes as on the server');
    } finally {
      await h.stop();
    }
  });
});

testIf(missingLighttpd(), 'lighttpd: a connection cut twice mid-file is resumed by range from the byte held', async () => {
  await withSite(async ({ dir, data }) => {
    const h = await startLighttpd(dir, dir);
    const proxy = await cuttingProxy(h.port, [1_000_000, 1_500_000]);
    try {
      const { bytes, lines } = await pull({ url: proxy.url + FILE, size: SIZE, retryDelayMs: 1 });
      assert.ok(bytes.equals(data), 'the same bytes as on the server');
      assert.is(proxy.requests.length, 3, 'one request, then one per cut');
      assert.not.match(proxy.requests[0]!, /range:/i, 'the first request takes the file from byte 0');
      // The cuts fall inside the answers (after the headers): the resumes ask for what is missing.
      const from = proxy.requests.slice(1).map((r) => Number(/range: bytes=(\d+)-/i.exec(r)?.[1]));
      assert.ok(from[0]! > 900_000 && from[0]! < 1_000_000, `second request from ${from[0]}`);
      assert.ok(from[1]! > from[0]! + 1_400_000, `third request from ${from[1]}`);
      assert.ok(proxy.bytesDown() < SIZE + 2000, `no byte of the file fetched twice (${proxy.bytesDown()} bytes down for ${SIZE})`);
      assert.ok(lines.some((l) => l.includes(`resuming from byte ${from[0]}`) && l.includes(`127.0.0.1:${proxy.port}`) && l.includes(FILE)), lines.join('\n'));
    } finally {
      await proxy.close();
      await h.stop();
    }
  });
});

testIf(missingLighttpd(), 'lighttpd without ranges: a cut connection starts again from byte 0 and what is held is dropped, not delivered twice', async () => {
  await withSite(async ({ dir, data }) => {
    const h = await startLighttpd(dir, dir, { ranges: false });
    const proxy = await cuttingProxy(h.port, [1_000_000]);
    try {
      const { bytes, lines } = await pull({ url: proxy.url + FILE, size: SIZE, retryDelayMs: 1 });
      assert.ok(bytes.equals(data), 'the same bytes, each once');
      assert.match(proxy.requests[1]!, /range: bytes=\d+-/i, 'the resume asked for a range');
      assert.ok(proxy.bytesDown() > SIZE + 900_000, 'the server sent the file again from its start');
      assert.ok(lines.some((l) => /ignores ranges \(200, not 206\)/.test(l) && l.includes(FILE)), lines.join('\n'));
    } finally {
      await proxy.close();
      await h.stop();
    }
  });
});

testIf(missingLighttpd(), 'lighttpd: a missing file is PFS_ERR_HTTP_STATUS (404) naming the server and the file, at once', async () => {
  await withSite(async ({ dir }) => {
    const h = await startLighttpd(dir, dir);
    try {
      const e = await rejection(pull({ url: h.url + 'NOPE.sbn', retryDelayMs: 1 }));
      assert.is(e.code, 'PFS_ERR_HTTP_STATUS');
      assert.match(e.message, `HTTP 127.0.0.1:${h.port} "/NOPE.sbn": status 404`);
    } finally {
      await h.stop();
    }
  });
});

testIf(missingLighttpd(), 'lighttpd: a file of another size than the load says is PFS_ERR_HTTP_PROTOCOL', async () => {
  await withSite(async ({ dir }) => {
    const h = await startLighttpd(dir, dir);
    try {
      const e = await rejection(pull({ url: h.url + FILE, size: SIZE + 1 }));
      assert.is(e.code, 'PFS_ERR_HTTP_PROTOCOL');
      assert.match(e.message, `"/${FILE}": the server's file is ${SIZE} bytes, expected ${SIZE + 1}`);
    } finally {
      await h.stop();
    }
  });
});

test('a server that accepts and never answers: PFS_ERR_HTTP_TIMEOUT after the retries', async () => {
  const s = await silentServer();
  try {
    const e = await rejection(pull({ url: s.url + FILE, timeoutMs: 100, retries: 1, retryDelayMs: 1 }));
    assert.is(e.code, 'PFS_ERR_HTTP_TIMEOUT');
    assert.match(e.message, new RegExp(`HTTP 127\\.0\\.0\\.1:\\d+ "/${FILE.replace(/\./g, '\\.')}": no answer for 0\\.1 s \\(2 connections in a row without a byte\\)`));
  } finally {
    await s.close();
  }
});

test('nothing listening: PFS_ERR_HTTP_NETWORK after the retries', async () => {
  // A port the kernel gave and took back: connections to it are refused.
  const held = net.createServer();
  await new Promise<void>((ok) => held.listen(0, '127.0.0.1', ok));
  const port = (held.address() as net.AddressInfo).port;
  await new Promise<void>((ok) => held.close(() => ok()));
  const e = await rejection(pull({ url: `http://127.0.0.1:${port}/${FILE}`, retries: 2, retryDelayMs: 1 }));
  assert.is(e.code, 'PFS_ERR_HTTP_NETWORK');
  assert.match(e.message, `HTTP 127.0.0.1:${port} "/${FILE}": connection failed`);
  assert.match(e.message, '3 connections in a row');
});

test('a 503 is retried like a broken connection: a server that recovers serves the file; one that does not is PFS_ERR_HTTP_STATUS', async () => {
  const data = seededBytes('http-503', 100_000);
  let refusals = 2;
  const server = http.createServer((_req, res) => {
    if (refusals-- > 0) return void res.writeHead(503, { 'content-length': 0 }).end();
    res.writeHead(200, { 'content-length': data.length }).end(data);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/${FILE}`;
  try {
    const { bytes, lines } = await pull({ url, retryDelayMs: 1 });
    assert.ok(bytes.equals(data));
    assert.is(lines.filter((l) => l.includes('status 503; resuming from byte 0')).length, 2, lines.join('\n'));
    refusals = 10;
    const e = await rejection(pull({ url, retries: 2, retryDelayMs: 1 }));
    assert.is(e.code, 'PFS_ERR_HTTP_STATUS');
    assert.match(e.message, `"/${FILE}": status 503`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
});

test('abort() stops the download: PFS_ERR_HTTP_ABORTED', async () => {
  const s = await silentServer();
  try {
    const dl = httpGet({ url: s.url + FILE });
    const p = rejection(dl.deliver(() => true));
    dl.abort(new Error('the board left the hierarchy'));
    const e = await p;
    assert.is(e.code, 'PFS_ERR_HTTP_ABORTED');
    assert.match(e.message, `"/${FILE}": aborted: the board left the hierarchy`);
  } finally {
    await s.close();
  }
});

test.run();
