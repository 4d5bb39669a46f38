// runUpgrade driven through its ports: a real TFTP server on loopback for the
// configuration, manifest and components, and a flash made of test media. The
// configuration and manifest parsers are the ports' (tested in their own files).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TftpServer } from '../../src/net/tftp/server';
import { generateFirmware, type GeneratedFile } from '../../src/lab/firmware';
import { createLogger } from '../../src/log/logger';
import { runUpgrade, type UpgradeFlash, type UpgradeManifest, type UpgradePorts } from '../../src/boot/upgrade';
import { testMedium, type MediumOptions, type TestMedium } from '../net/peer/media';

const LOAD = 'SCCP41.9-4-2SR2-2S';
const BLOCK = 64 * 1024;

interface Rig {
  files: GeneratedFile[];
  ports: (over?: Partial<UpgradePorts>, media?: Record<string, Partial<MediumOptions>>) => UpgradePorts & { lines: string[]; committed: string[]; media: Map<string, TestMedium> };
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const root = await mkdtemp(join(tmpdir(), 'pfs-upgrade-'));
  const files = await generateFirmware(root, { files: 2, totalBytes: 1 << 20, blockSize: BLOCK, load: 'T', seed: 'upgrade' });
  await writeFile(join(root, 'XMLDefault.cnf.xml'), '<device/>');
  await writeFile(join(root, `${LOAD}.loads`), 'manifest');
  const server = new TftpServer({ root, port: 0 });
  await server.start();
  const manifest: UpgradeManifest = {
    load: LOAD, model: 'CP-7961G',
    files: files.map((f) => ({ name: f.name, size: f.size, sha256: '', blockSize: BLOCK, blocks: f.plan.hashes.map((h) => h.toString('hex')) })),
  };
  return {
    files,
    ports(over = {}, mediaOpts = {}) {
      const lines: string[] = [];
      const committed: string[] = [];
      const media = new Map<string, TestMedium>();
      const flash: UpgradeFlash = {
        activeLoad: async () => 'SCCP41.8-5-4S',
        beginInstall: async () => {},
        openComponent: async (name) => {
          const size = files.find((f) => f.name === name)?.size ?? 4096;
          const m = media.get(name) ?? testMedium({ device: `slotB/${name}`, size, ...mediaOpts[name] });
          media.set(name, m);
          return { ...m, existingBytes: m.existingBytes ?? 0 };
        },
        commit: async (load) => void committed.push(load),
      };
      return {
        log: createLogger('BOOT', { level: 'DBG', sinks: [{ writeLine: (l) => void lines.push(l) }] }),
        model: { model: 'CP-7961G', pfs: true },
        mac: '00112233AABB',
        server: { host: '127.0.0.1', port: server.address().port },
        tftp: { blksize: 1468, windowsize: 16 },
        parseConfig: () => ({ loadName: LOAD, peerFirmwareSharing: false, pfsSource: 'enterprise' }),
        openManifest: () => manifest,
        flash,
        tmpDir: root,
        configRetryMs: 10,
        configRetryMaxMs: 10,
        configTries: 1,
        upgradeTimeoutMs: 30_000,
        lingerMs: 0,
        ...over,
        lines, committed, media,
      };
    },
    async close() {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

test('plain TFTP upgrade: every component verified on flash, then committed', async () => {
  const r = await rig();
  try {
    const p = r.ports();
    const out = await runUpgrade(p);
    assert.equal(out.kind, 'committed');
    assert.equal(p.committed, [LOAD]);
    for (const f of r.files) assert.is(p.media.get(f.name)!.end, f.size);
  } finally {
    await r.close();
  }
});

test('regression: a flash write error in a plain TFTP upgrade is the upgrade\'s error (PFS_ERR_FLASH_WRITE, device and offset), not FLASH_INCOMPLETE at commit', async () => {
  const r = await rig();
  try {
    const bad = r.files[1]!;
    const p = r.ports({}, { [bad.name]: { failAt: 3 * BLOCK + 10 } });
    const out = await runUpgrade(p);
    assert.is(out.kind, 'failed');
    if (out.kind !== 'failed') return;
    assert.is(out.code, 'PFS_ERR_FLASH_WRITE', out.reason);
    assert.match(out.reason, `slotB/${bad.name}`);
    assert.match(out.reason, `offset ${3 * BLOCK}`);
    assert.equal(p.committed, [], 'nothing committed');
    assert.not.ok(p.lines.some((l) => l.includes(`${bad.name}: ${bad.size} bytes verified on flash`)), 'the failed component is never called verified');
    assert.ok(p.media.get(bad.name)!.end <= 3 * BLOCK, 'the file stopped at the failed block');
  } finally {
    await r.close();
  }
});

test('a block from the server that fails its hash: PFS_ERR_BLOCK_CORRUPT naming the server, nothing committed', async () => {
  const r = await rig();
  try {
    const p = r.ports();
    const m = p.openManifest(Buffer.alloc(0), '');
    const bad = m.files[0]!;
    const wrong = { ...m, files: [{ ...bad, blocks: bad.blocks.map((h, i) => (i === 2 ? '00'.repeat(32) : h)) }, ...m.files.slice(1)] };
    const out = await runUpgrade({ ...p, openManifest: () => wrong });
    assert.is(out.kind === 'failed' && out.code, 'PFS_ERR_BLOCK_CORRUPT');
    assert.match(out.kind === 'failed' ? out.reason : '', /block 2 from origin 127\.0\.0\.1:\d+ does not match its SHA-256/);
    assert.equal(p.committed, []);
  } finally {
    await r.close();
  }
});

test('a manifest for another model: PFS_ERR_MANIFEST_MISMATCH before anything is written', async () => {
  const r = await rig();
  try {
    const p = r.ports();
    const m = p.openManifest(Buffer.alloc(0), '');
    const out = await runUpgrade({ ...p, openManifest: () => ({ ...m, model: 'CP-7941G' }) });
    assert.is(out.kind === 'failed' && out.code, 'PFS_ERR_MANIFEST_MISMATCH');
    assert.is(p.media.size, 0, 'no component opened');
  } finally {
    await r.close();
  }
});

test('a download past the time limit: PFS_ERR_UPGRADE_TIMEOUT, the board keeps its load', async () => {
  const r = await rig();
  try {
    // Flash at 64 KiB/s: the 1 MiB set needs about 16 s; the limit is 1 s.
    const slow = Object.fromEntries(r.files.map((f) => [f.name, { rate: 64 * 1024 }]));
    const p = r.ports({ upgradeTimeoutMs: 1000 }, slow);
    const t0 = performance.now();
    const out = await runUpgrade(p);
    assert.is(out.kind === 'failed' && out.code, 'PFS_ERR_UPGRADE_TIMEOUT');
    assert.ok(performance.now() - t0 < 5000, 'it gave up at its limit');
    assert.equal(p.committed, []);
  } finally {
    await r.close();
  }
});

test('an unexpected failure (a flash call throwing a plain Error) is reported as PFS_ERR_UPGRADE', async () => {
  const r = await rig();
  try {
    const p = r.ports();
    const out = await runUpgrade({ ...p, flash: { ...p.flash, beginInstall: async () => { throw new Error('slot table busy'); } } });
    assert.is(out.kind === 'failed' && out.code, 'PFS_ERR_UPGRADE');
    assert.match(out.kind === 'failed' ? out.reason : '', 'slot table busy');
  } finally {
    await r.close();
  }
});

test.run();
