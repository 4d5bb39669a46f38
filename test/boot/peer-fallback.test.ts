// A board whose peer engine cannot run, or whose peers do not deliver, upgrades by
// direct TFTP from the server and says why in one line, as the phone does; a board
// with Peer Firmware Sharing disabled opens no peer port.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT } from '../../src/boot/boot';
import { createLogger } from '../../src/log/logger';
import { runUpgrade, type UpgradeFlash, type UpgradeManifest } from '../../src/boot/upgrade';
import { freeUdpPort } from '../helpers/net';
import { activeFiles, site } from './e2e-site';
import { site as peerSite } from '../net/peer/site';
import { testMedium, type TestMedium } from '../net/peer/media';

/** A TCP port on 127.0.0.1 held by someone else for as long as the test runs. */
async function takenPort(): Promise<net.Server> {
  const s = net.createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  return s;
}

test('regression: a peer port already taken makes the board upgrade by plain TFTP with one line saying why (it ended as an internal error, exit 70)', async () => {
  const t = await site({ models: [['CP-7961G', 1]] });
  const holder = await takenPort();
  try {
    const port = (holder.address() as net.AddressInfo).port;
    const r = await t.boot(0, { peerPort: port, tftp: { blksize: 1468, windowsize: 64 } });
    assert.is(r.exit, EXIT.REBOOT, JSON.stringify(r.outcome));
    assert.is(r.outcome?.kind === 'committed' && r.outcome.via, 'tftp');
    assert.match(String(await activeFiles(t.s.boards[0]!.root)), /^SCCP41\.9-4-2SR2-2S/);
    const why = t.logs.get(0)!.filter((l) => l.includes('peer engine cannot run'));
    assert.is(why.length, 1, 'one line says why');
    assert.match(why[0]!, new RegExp(`peer engine cannot run \\(.*127\\.0\\.0\\.1:${port}.*\\): plain TFTP upgrade from 127\\.0\\.0\\.1:\\d+`));
  } finally {
    holder.close();
    await t.close();
  }
});

test('a board with Peer Firmware Sharing disabled opens no peer port', async () => {
  const t = await site({ models: [['CP-7961G', 1]], enterprisePfs: false });
  try {
    let started = false;
    const r = await t.boot(0, { onPeers: () => (started = true), tftp: { blksize: 1468, windowsize: 64 } });
    assert.is(r.exit, EXIT.REBOOT, JSON.stringify(r.outcome));
    assert.is(r.outcome?.kind === 'committed' && r.outcome.via, 'tftp');
    assert.not.ok(started, 'the peer engine never started');
    assert.not.ok(t.logs.get(0)!.some((l) => /Listening on peer TCP port|openUDPPort/.test(l)), 'no peer port opened');
  } finally {
    await t.close();
  }
});

test('peers that deliver nothing (a root whose origin never answers): the board falls back to direct TFTP after the stall limit and commits', async () => {
  const s = await peerSite(256 * 1024);
  try {
    const LOAD = 'SCCP41.9-4-2SR2-2S';
    await writeFile(join(s.root, 'origin', 'XMLDefault.cnf.xml'), '<device/>');
    // The peer engine's origin is a port nobody answers on; the board's server is the real one.
    const { node, dir } = await s.board(1, { origin: { host: '127.0.0.1', port: await freeUdpPort(), timeoutMs: 200 }, timers: { claimBackoffMs: 50, advertMs: 50 } });
    const manifest: UpgradeManifest = {
      load: LOAD, model: 'CP-7961G',
      files: [{ name: s.file.name, size: s.file.size, sha256: '', blockSize: s.file.plan.blockSize, blocks: s.file.plan.hashes.map((h) => h.toString('hex')) }],
    };
    await writeFile(join(s.root, 'origin', `${LOAD}.loads`), 'manifest');
    const media = new Map<string, TestMedium>();
    const committed: string[] = [];
    const flash: UpgradeFlash = {
      activeLoad: async () => 'SCCP41.8-5-4S',
      beginInstall: async () => {},
      openComponent: async (name) => {
        const m = media.get(name) ?? testMedium({ device: `slotB/${name}`, size: s.file.size });
        media.set(name, m);
        return Object.assign(Object.create(m) as TestMedium, { existingBytes: m.end });
      },
      commit: async (load) => void committed.push(load),
    };
    const lines: string[] = [];
    const t0 = performance.now();
    const out = await runUpgrade({
      log: createLogger('BOOT', { level: 'DBG', sinks: [{ writeLine: (l) => void lines.push(l) }] }),
      model: { model: 'CP-7961G', pfs: true },
      mac: '00112233AABB',
      server: { host: '127.0.0.1', port: s.server.address().port },
      tftp: { blksize: 1468, windowsize: 16, timeoutMs: 200 },
      // No manifest digest: the manifest comes from the server; the component through the peers.
      parseConfig: () => ({ loadName: LOAD, peerFirmwareSharing: true, pfsSource: 'enterprise' }),
      openManifest: () => manifest,
      flash,
      peers: node,
      peerFallback: { stallMs: 1500 },
      tmpDir: dir,
      configRetryMs: 10,
      configRetryMaxMs: 10,
      configTries: 1,
      upgradeTimeoutMs: 20_000,
      lingerMs: 10_000,
    });
    assert.is(out.kind === 'committed' && out.via, 'tftp', JSON.stringify(out));
    assert.equal(committed, [LOAD]);
    const why = lines.filter((l) => l.includes('falling back to direct TFTP'));
    assert.is(why.length, 1, 'one line says why');
    assert.match(why[0]!, /falling back to direct TFTP from 127\.0\.0\.1:\d+: no verified byte from peers in 1\.5 s/);
    assert.ok(performance.now() - t0 < 10_000, 'no wait for children of a board that gave its peers up');
  } finally {
    await s.close();
  }
});

test.run();
