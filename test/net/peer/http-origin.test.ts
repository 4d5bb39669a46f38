// The origin as an HTTP load server (lighttpd on loopback) in front of the TFTP one:
// the file comes by HTTP through the one pipeline, resumed by range when the
// connection breaks; when HTTP fails the board says so in one line and takes the
// file (and every later one) over TFTP, each byte verified and written once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchDirect } from '../../../src/net/peer/fetch-direct';
import { OriginSource } from '../../../src/net/peer/origin-source';
import { fileMedium } from '../../../src/net/peer/spool';
import type { HttpOrigin } from '../../../src/net/http/load-server';
import { createLogger } from '../../../src/log/logger';
import { testIf } from '../../helpers/ci';
import { cuttingProxy, missingLighttpd, startLighttpd } from '../http/servers';
import { site } from './site';

const SIZE = (2 << 20) + 4321;

function console_(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('TFTP', { level: 'INF', sinks: [{ writeLine: (l) => void lines.push(l) }] }), lines };
}

testIf(missingLighttpd(), 'plain upgrade from an HTTP load server: the file is verified on flash, nothing over TFTP', async () => {
  const s = await site(SIZE);
  const h = await startLighttpd(join(s.root, 'origin'), s.root);
  try {
    const out = join(s.root, 'out.bin');
    const { log, lines } = console_();
    const http: HttpOrigin = { url: h.url };
    await fetchDirect({ name: s.file.name, plan: s.file.plan, medium: () => fileMedium(out), origin: { ...s.origin, http }, log });
    assert.ok((await readFile(out)).equals(await readFile(join(s.root, 'origin', s.file.name))), 'the file on flash is the one on the server');
    assert.is(s.server.stats.bytesSent, 0, 'the TFTP server sent nothing');
    assert.is(lines.filter((l) => l.includes('falling back')).length, 0, lines.join('\n'));
  } finally {
    await h.stop();
    await s.close();
  }
});

testIf(missingLighttpd(), 'a transfer prepared during the election goes on the connection opened then (one connection, one request)', async () => {
  const s = await site(SIZE);
  const h = await startLighttpd(join(s.root, 'origin'), s.root);
  const counter = await cuttingProxy(h.port, []);
  try {
    const origin = { ...s.origin, http: { url: counter.url } };
    const { log } = console_();
    const parts: Buffer[] = [];
    let ended!: (e?: Error) => void;
    const end = new Promise<Error | undefined>((ok) => (ended = ok));
    const source = new OriginSource(origin, s.file.name, log, (e) => ended(e), OriginSource.prepare(origin, s.file.name, log));
    assert.is(source.label, `origin ${counter.url}`);
    source.start((b) => (parts.push(b), true));
    assert.is(await end, undefined);
    assert.ok(Buffer.concat(parts).equals(await readFile(join(s.root, 'origin', s.file.name))));
    assert.is(counter.connections(), 1, 'no second connection');
    assert.is(counter.requests.length, 1);
  } finally {
    await counter.close();
    await h.stop();
    await s.close();
  }
});

testIf(missingLighttpd(), 'a resume over HTTP asks only for what the medium does not hold (Range from the first missing block)', async () => {
  const s = await site(SIZE);
  const h = await startLighttpd(join(s.root, 'origin'), s.root);
  const counter = await cuttingProxy(h.port, []);
  try {
    const good = await readFile(join(s.root, 'origin', s.file.name));
    const out = join(s.root, 'out.bin');
    // A restart left 10 blocks and a bit of the 11th on flash.
    const held = 10 * 64 * 1024;
    await writeFile(out, good.subarray(0, held + 1000));
    const { log } = console_();
    const r = await fetchDirect({ name: s.file.name, plan: s.file.plan, medium: () => fileMedium(out), origin: { ...s.origin, http: { url: counter.url } }, log });
    assert.is(r.resumedBytes, held);
    assert.ok((await readFile(out)).equals(good), 'the file on flash is the one on the server');
    assert.is(counter.requests.length, 1);
    assert.match(counter.requests[0]!, new RegExp(`range: bytes=${held}-`, 'i'));
    assert.ok(counter.bytesDown() < SIZE - held + 1000, `only the rest crossed: ${counter.bytesDown()} bytes for ${SIZE - held}`);
  } finally {
    await counter.close();
    await h.stop();
    await s.close();
  }
});

testIf(missingLighttpd(), 'HTTP cut for good mid-file: one console line, the rest over TFTP, the bytes already held are not written twice', async () => {
  const s = await site(SIZE);
  const h = await startLighttpd(join(s.root, 'origin'), s.root);
  // Every connection is cut after 700 kB: the first moves the file on, the resumes
  // bring nothing new... until the retries run out and the board falls back.
  const proxy = await cuttingProxy(h.port, [700_000, 0, 0, 0, 0, 0, 0]);
  try {
    const out = join(s.root, 'out.bin');
    const { log, lines } = console_();
    const http: HttpOrigin = { url: proxy.url, retryDelayMs: 1 };
    const writes: number[] = [];
    await fetchDirect({
      name: s.file.name, plan: s.file.plan, origin: { ...s.origin, http }, log,
      medium: async () => {
        const m = await fileMedium(out);
        return { ...m, writev: (bufs: Buffer[], pos: number) => (writes.push(pos), m.writev(bufs, pos)) } as typeof m;
      },
    });
    assert.ok((await readFile(out)).equals(await readFile(join(s.root, 'origin', s.file.name))), 'the file on flash is the one on the server');
    const fell = lines.filter((l) => l.includes('falling back to TFTP'));
    assert.is(fell.length, 1, lines.join('\n'));
    assert.match(fell[0]!, `${s.file.name}: HTTP load server ${proxy.url} failed`);
    assert.match(fell[0]!, 'PFS_ERR_HTTP_NETWORK');
    assert.match(fell[0]!, `from 127.0.0.1:${s.origin.port}`);
    assert.is(new Set(writes).size, writes.length, 'each block written once');

    // The board remembers: the next file goes to TFTP at once, without another line.
    const out2 = join(s.root, 'out2.bin');
    const before = proxy.requests.length;
    await fetchDirect({ name: s.file.name, plan: s.file.plan, medium: () => fileMedium(out2), origin: { ...s.origin, http }, log });
    assert.is(proxy.requests.length, before, 'no new HTTP request');
    assert.is(lines.filter((l) => l.includes('falling back')).length, 1);
  } finally {
    await proxy.close();
    await h.stop();
    await s.close();
  }
});

testIf(missingLighttpd(), 'a file missing on the HTTP load server (404) comes over TFTP, with one line naming the server and the file', async () => {
  const s = await site(SIZE);
  const empty = join(s.root, 'empty');
  await mkdir(empty);
  const h = await startLighttpd(empty, s.root);
  try {
    const out = join(s.root, 'out.bin');
    const good = await readFile(join(s.root, 'origin', s.file.name));
    // With 3 blocks held: HTTP was asked from there, TFTP starts at 0 and the held bytes are skipped.
    await writeFile(out, good.subarray(0, 3 * 64 * 1024));
    const { log, lines } = console_();
    await fetchDirect({ name: s.file.name, plan: s.file.plan, medium: () => fileMedium(out), origin: { ...s.origin, http: { url: h.url } }, log });
    assert.ok((await readFile(out)).equals(good));
    const fell = lines.filter((l) => l.includes('falling back'));
    assert.is(fell.length, 1, lines.join('\n'));
    assert.match(fell[0]!, `HTTP 127.0.0.1:${h.port} "/${s.file.name}": status 404`);
    assert.match(fell[0]!, 'PFS_ERR_HTTP_STATUS');
  } finally {
    await h.stop();
    await s.close();
  }
});

testIf(missingLighttpd(), 'a root with an HTTP load server takes its file by HTTP and serves it to its child', async () => {
  const s = await site(SIZE);
  const h = await startLighttpd(join(s.root, 'origin'), s.root);
  try {
    const origin = { ...s.origin, http: { url: h.url } };
    const a = await s.board(1, { origin });
    const b = await s.board(2, { origin });
    const want = (dir: string) => ({ name: s.file.name, plan: s.file.plan, medium: () => fileMedium(join(dir, 'f.bin')) });
    await Promise.all([a.node.fetch(want(a.dir)), b.node.fetch(want(b.dir))]);
    const good = await readFile(join(s.root, 'origin', s.file.name));
    assert.ok((await readFile(join(a.dir, 'f.bin'))).equals(good));
    assert.ok((await readFile(join(b.dir, 'f.bin'))).equals(good));
    assert.is(s.server.stats.bytesSent, 0, 'nothing over TFTP');
    const roles = [a, b].map((x) => x.node.status()[0]!.role).sort();
    assert.equal(roles, ['member', 'root']);
  } finally {
    await h.stop();
    await s.close();
  }
});

testIf(missingLighttpd(), 'a root restarting with part of its file on flash asks the HTTP load server only for the rest (not from byte 0)', async () => {
  const s = await site(SIZE);
  const h = await startLighttpd(join(s.root, 'origin'), s.root);
  const counter = await cuttingProxy(h.port, []);
  try {
    const good = await readFile(join(s.root, 'origin', s.file.name));
    const a = await s.board(1, { origin: { ...s.origin, http: { url: counter.url } } });
    const held = 12 * 64 * 1024;
    await writeFile(join(a.dir, 'f.bin'), good.subarray(0, held));
    await a.node.fetch({ name: s.file.name, plan: s.file.plan, medium: () => fileMedium(join(a.dir, 'f.bin')) });
    assert.ok((await readFile(join(a.dir, 'f.bin'))).equals(good), 'the file on flash is the one on the server');
    assert.is(a.node.status()[0]!.role, 'root');
    assert.is(counter.requests.length, 1);
    assert.match(counter.requests[0]!, new RegExp(`range: bytes=${held}-`, 'i'));
    assert.ok(counter.bytesDown() < SIZE - held + 4096, `only the rest crossed the WAN: ${counter.bytesDown()} bytes for ${SIZE - held}`);
  } finally {
    await counter.close();
    await h.stop();
    await s.close();
  }
});

test.run();
