// runUpgrade driven through its ports, for the upgrade tests: a real TFTP server on
// loopback for the configuration, manifest and components, and a flash made of test
// media. The configuration and manifest parsers are the ports' (tested in their own files).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TftpServer } from '../../src/net/tftp/server';
import { generateFirmware, type GeneratedFile } from '../../src/lab/firmware';
import { createLogger } from '../../src/log/logger';
import type { UpgradeFlash, UpgradeManifest, UpgradePorts } from '../../src/boot/upgrade';
import { testMedium, type MediumOptions, type TestMedium } from '../net/peer/media';

export const LOAD = 'SCCP41.9-4-2SR2-2S';
export const BLOCK = 64 * 1024;

export type RigPorts = UpgradePorts & { lines: string[]; committed: string[]; media: Map<string, TestMedium> };

export interface Rig {
  /** The origin's folder: the components as the server holds them. */
  root: string;
  files: GeneratedFile[];
  /**
   * Ports for one upgrade: `over` replaces any port, `media` sets a component's flash
   * (fail at an offset, a rate), `wrap` replaces its medium (e.g. one that spoils writes).
   */
  ports(over?: Partial<UpgradePorts>, media?: Record<string, Partial<MediumOptions>>, wrap?: (name: string, m: TestMedium) => TestMedium): RigPorts;
  close(): Promise<void>;
}

/** A 1 MiB load of two components from `seed`, served on loopback. */
export async function rig(seed = 'upgrade'): Promise<Rig> {
  const root = await mkdtemp(join(tmpdir(), 'pfs-upgrade-'));
  const files = await generateFirmware(root, { files: 2, totalBytes: 1 << 20, blockSize: BLOCK, load: 'T', seed });
  await writeFile(join(root, 'XMLDefault.cnf.xml'), '<device/>');
  await writeFile(join(root, `${LOAD}.loads`), 'manifest');
  const server = new TftpServer({ root, port: 0 });
  await server.start();
  const manifest: UpgradeManifest = {
    load: LOAD, model: 'CP-7961G',
    files: files.map((f) => ({ name: f.name, size: f.size, sha256: '', blockSize: BLOCK, blocks: f.plan.hashes.map((h) => h.toString('hex')) })),
  };
  return {
    root,
    files,
    ports(over = {}, mediaOpts = {}, wrap = (_name, m) => m) {
      const lines: string[] = [];
      const committed: string[] = [];
      const media = new Map<string, TestMedium>();
      const flash: UpgradeFlash = {
        activeLoad: async () => 'SCCP41.8-5-4S',
        beginInstall: async () => {},
        openComponent: async (name) => {
          let m = media.get(name);
          if (!m) {
            const size = files.find((f) => f.name === name)?.size ?? 4096;
            m = wrap(name, testMedium({ device: `slotB/${name}`, size, ...mediaOpts[name] }));
            media.set(name, m);
          }
          // Each open sees the component as new; the medium underneath keeps what was written.
          return Object.assign(Object.create(m) as TestMedium, { existingBytes: m.existingBytes ?? 0 });
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
