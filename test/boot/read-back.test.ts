// Read back before commit (D11): a byte that flips on flash after its block was
// verified on the way in was committed, and the next boot called the load current.
// runUpgrade through its ports: a real TFTP server on loopback, flash that flips a
// byte of what it was given (once, or every time: a stuck bit).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { TftpServer } from '../../src/net/tftp/server';
import { generateFirmware, type GeneratedFile } from '../../src/lab/firmware';
import { createLogger } from '../../src/log/logger';
import { runUpgrade, type UpgradeFlash, type UpgradeManifest, type UpgradePorts } from '../../src/boot/upgrade';
import { testMedium, type TestMedium } from '../net/peer/media';

const LOAD = 'SCCP41.9-4-2SR2-2S';
const BLOCK = 64 * 1024;

/** Flash that flips the byte at `flipAt` of `file` after writing it: `times` writes over it are spoiled. */
async function upgradeWithFlip(flip: { file: number; at: number; times: number }) {
  const root = await mkdtemp(join(tmpdir(), 'pfs-readback-'));
  const server = new TftpServer({ root, port: 0 });
  try {
    const files: GeneratedFile[] = await generateFirmware(root, { files: 2, totalBytes: 1 << 20, blockSize: BLOCK, load: 'T', seed: 'readback' });
    await writeFile(join(root, 'XMLDefault.cnf.xml'), '<device/>');
    await writeFile(join(root, `${LOAD}.loads`), 'manifest');
    await server.start();
    const manifest: UpgradeManifest = {
      load: LOAD, model: 'CP-7961G',
      files: files.map((f) => ({ name: f.name, size: f.size, sha256: '', blockSize: BLOCK, blocks: f.plan.hashes.map((h) => h.toString('hex')) })),
    };
    const target = files[flip.file]!;
    const media = new Map<string, TestMedium>();
    let spoiled = 0;
    const committed: string[] = [];
    const flash: UpgradeFlash = {
      activeLoad: async () => 'SCCP41.8-5-4S',
      beginInstall: async () => {},
      openComponent: async (name) => {
        const size = files.find((f) => f.name === name)?.size ?? 4096;
        let m = media.get(name);
        if (!m) {
          const base = testMedium({ device: `slotB/${name}`, size });
          m = base;
          if (name === target.name) {
            // The write was verified before it came here; the flash keeps something else.
            const writev = base.writev.bind(base);
            m = Object.assign(Object.create(base) as TestMedium, {
              writev: async (buffers: readonly Buffer[], position: number) => {
                const n = await writev(buffers, position);
                if (position <= flip.at && flip.at < position + n && spoiled < flip.times) {
                  spoiled++;
                  base.data[flip.at] = base.data[flip.at]! ^ 0x01;
                }
                return n;
              },
            });
          }
          media.set(name, m);
        }
        return Object.assign(Object.create(m) as TestMedium, { existingBytes: 0 });
      },
      commit: async (load) => void committed.push(load),
    };
    const lines: string[] = [];
    const ports: UpgradePorts = {
      log: createLogger('BOOT', { level: 'DBG', sinks: [{ writeLine: (l) => void lines.push(l) }] }),
      model: { model: 'CP-7961G', pfs: false },
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
    };
    const out = await runUpgrade(ports);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const slotMatches = sha(media.get(target.name)!.data.subarray(0, target.size)) === sha(await readFile(join(root, target.name)));
    return { out, committed, lines, spoiled, target, slotMatches };
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

test('regression D11: a byte flipped on flash after its block was verified is caught by the read-back and fetched again; what is committed is right', async () => {
  const r = await upgradeWithFlip({ file: 1, at: 3 * BLOCK + 100, times: 1 });
  assert.is(r.spoiled, 1, 'the flash did spoil the block');
  assert.is(r.out.kind, 'committed', JSON.stringify(r.out));
  assert.ok(r.slotMatches, 'the slot holds the right bytes');
  assert.ok(r.lines.some((l) => l.includes(`${r.target.name}: block 3 read back from slotB/${r.target.name} does not match its SHA-256: fetching it again`)), r.lines.join('\n'));
});

test('a byte that flips on flash every time it is written (a stuck bit): PFS_ERR_FLASH_READBACK naming file, block and device, nothing committed', async () => {
  const r = await upgradeWithFlip({ file: 0, at: 5 * BLOCK + 7, times: Infinity });
  assert.is(r.out.kind === 'failed' && r.out.code, 'PFS_ERR_FLASH_READBACK', JSON.stringify(r.out));
  assert.match(r.out.kind === 'failed' ? r.out.reason : '', new RegExp(`${r.target.name.replace(/\./g, '\\.')}: block 5 \\(offset ${5 * BLOCK}\\) read back from slotB/`));
  assert.equal(r.committed, [], 'nothing committed');
});

test('flash that keeps what it is given: the read-back passes and says so', async () => {
  const r = await upgradeWithFlip({ file: 0, at: 0, times: 0 });
  assert.is(r.out.kind, 'committed');
  assert.ok(r.lines.some((l) => l.includes('read back from flash: 2 components, every block matches its SHA-256')));
});

test.run();
