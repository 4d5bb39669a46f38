// End-to-end boot with an HTTP load server (Debian's lighttpd serving the TFTP
// server's folder): the components come by HTTP, named by --http or by the
// configuration's <loadServerHttp>; an HTTP server that is down costs one console
// line and the upgrade goes on over TFTP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { EXIT } from '../../src/boot/boot';
import { testIf } from '../helpers/ci';
import { cuttingProxy, missingLighttpd, startLighttpd } from '../net/http/servers';
import { activeFiles, site } from './e2e-site';

type Site = Awaited<ReturnType<typeof site>>;

async function componentBytesOverTftp(t: Site): Promise<number> {
  let n = 0;
  for (const name of t.s.componentNames) n += t.server.stats.bytesByFile.get(name) ?? 0;
  return n;
}

async function componentBytes(t: Site): Promise<number> {
  let n = 0;
  for (const name of t.s.componentNames) n += (await readFile(join(t.s.originDir, name))).length;
  return n;
}

async function assertUpgraded(t: Site, i: number): Promise<void> {
  const b = t.s.boards[i]!;
  assert.is(await activeFiles(b.root), t.s.loads.get(b.model));
  const slot = JSON.parse(await readFile(join(b.root, 'flash', 'state.json'), 'utf8')).active;
  for (const name of t.s.componentNames) {
    assert.ok((await readFile(join(b.root, 'flash', `slot${slot}`, name))).equals(await readFile(join(t.s.originDir, name))), `${b.mac} ${name}`);
  }
}

/** Ends every board's wait for children once all have committed (no child is coming after that). */
function together(count: number): { onCommitted: () => void; lingerUntil: Promise<void> } {
  let n = 0;
  let all!: () => void;
  const lingerUntil = new Promise<void>((ok) => (all = ok));
  return { onCommitted: () => void (++n === count && all()), lingerUntil };
}

const errors = (t: Site) => [...t.logs.values()].map((l) => l.filter((x) => x.startsWith('ERR') || x.startsWith('WRN')).join('\n')).join('\n');

testIf(missingLighttpd(), '--http: three boards share one HTTP copy of each component; nothing of them over TFTP', async () => {
  const t = await site({ models: [['CP-7961G', 3]] });
  const h = await startLighttpd(t.s.originDir, t.dir);
  const counter = await cuttingProxy(h.port, []);
  try {
    const end = together(t.s.boards.length);
    const results = await Promise.all(t.s.boards.map((_, i) => t.boot(i, { http: `http://127.0.0.1:${counter.port}`, ...end })));
    assert.equal(results.map((r) => r.exit), [EXIT.REBOOT, EXIT.REBOOT, EXIT.REBOOT], errors(t));
    for (const i of t.s.boards.keys()) await assertUpgraded(t, i);
    assert.is(await componentBytesOverTftp(t), 0, 'no component over TFTP');
    const size = await componentBytes(t);
    assert.ok(counter.bytesDown() >= size && counter.bytesDown() < size + 4096, `one copy over HTTP (${counter.bytesDown()} bytes for ${size})`);
    assert.ok([...t.logs.values()].flat().some((l) => l.includes(`HTTP load server http://127.0.0.1:${counter.port}/: components by range requests`)));
  } finally {
    await counter.close();
    await h.stop();
    await t.close();
  }
});

testIf(missingLighttpd(), '<loadServerHttp> in XMLDefault.cnf.xml: a board without peer sharing takes its components by HTTP', async () => {
  const t = await site({ models: [['CP-7961G', 1]], enterprisePfs: false });
  const h = await startLighttpd(t.s.originDir, t.dir);
  try {
    const cnf = join(t.s.originDir, 'XMLDefault.cnf.xml');
    await writeFile(cnf, (await readFile(cnf, 'utf8')).replace('<Default>', `<Default>\n  <vendorConfig><loadServerHttp>${h.url}</loadServerHttp></vendorConfig>`));
    const r = await t.boot(0);
    assert.is(r.exit, EXIT.REBOOT, errors(t));
    await assertUpgraded(t, 0);
    assert.is(await componentBytesOverTftp(t), 0, 'no component over TFTP');
  } finally {
    await h.stop();
    await t.close();
  }
});

test('an HTTP load server that is down: one console line, the upgrade goes on over TFTP', async () => {
  const t = await site({ models: [['CP-7961G', 2]] });
  // A port the kernel gave and took back: connections to it are refused.
  const held = net.createServer();
  await new Promise<void>((ok) => held.listen(0, '127.0.0.1', ok));
  const port = (held.address() as net.AddressInfo).port;
  await new Promise<void>((ok) => held.close(() => ok()));
  try {
    const end = together(t.s.boards.length);
    const results = await Promise.all(t.s.boards.map((_, i) => t.boot(i, { http: `127.0.0.1:${port}`, tftp: { blksize: 1468, windowsize: 16 }, ...end })));
    assert.equal(results.map((r) => r.exit), [EXIT.REBOOT, EXIT.REBOOT], errors(t));
    for (const i of t.s.boards.keys()) await assertUpgraded(t, i);
    const fell = [...t.logs.values()].flat().filter((l) => l.includes('falling back to TFTP'));
    assert.ok(fell.length >= 1 && fell.length <= 2, `one line per board that pulled from the origin:\n${fell.join('\n')}`);
    assert.match(fell[0]!, `HTTP load server http://127.0.0.1:${port}/ failed`);
    assert.match(fell[0]!, 'PFS_ERR_HTTP_NETWORK');
  } finally {
    await t.close();
  }
});

test.run();
