import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeys } from '../loads/keys';
import { packLoad } from '../loads/pack';
import { DirFlash } from '../hal/flash/dir';
import type { ModelProfile } from '../profiles';
import { generateFirmware } from './firmware';

export interface SiteModel {
  profile: ModelProfile;
  count: number;
}

export interface SiteBoard {
  index: number;
  model: string;
  mac: string;
  root: string;
  /** Its own SEP<MAC>.cnf.xml turns Peer Firmware Sharing off at the device level. */
  pfsOff: boolean;
}

export interface Site {
  originDir: string;
  boards: SiteBoard[];
  /** Load name per model. */
  loads: Map<string, string>;
  /** Bytes of one model's component set. */
  setBytes: number;
  componentNames: string[];
  components: { name: string; size: number }[];
}

/** MAC of lab board `i`: a fixed prefix and the index, so XIDs read like the source's (…080027F8). */
export function labMac(i: number): string {
  return `001BD5${(0x0827f8 + i).toString(16).toUpperCase().padStart(6, '0')}`;
}

const VERSION = '9-4-2SR2-2S';
const OLD = '9-3-1SR1-1S';

/**
 * Lays out a site as a CUCM TFTP server and a row of fresh boards would have it:
 * a signing key, one signed load per model (the component files are shared), an
 * XMLDefault.cnf.xml with Peer Firmware Sharing set for the enterprise, SEP files
 * for the boards that turn it off, and per board a root folder with pfs.txt, the
 * trusted key, and flash holding an older load.
 */
export async function prepareSite(
  dir: string,
  o: { models: SiteModel[]; size: number; files: number; enterprisePfs: boolean; pfsOff: number; server: () => { host: string; port: number }; boardConfig: (i: number) => Record<string, string> },
): Promise<Site> {
  const originDir = join(dir, 'origin');
  const build = join(dir, 'build');
  await mkdir(originDir, { recursive: true });
  await mkdir(build, { recursive: true });
  const key = await generateKeys(join(dir, 'site-key'));
  const comps = await generateFirmware(build, { files: o.files, totalBytes: o.size, blockSize: 64 * 1024, load: VERSION, seed: VERSION });
  const loads = new Map<string, string>();
  const elements: string[] = [];
  for (const m of o.models) {
    // 7941 and 7961 share SCCP41 loads on real phones; one manifest names one model, so each gets its own name.
    const load = `${m.profile.loadPrefix}.${VERSION}-${m.profile.model.replace(/^CP-/, '')}`;
    const packed = await packLoad({ load, model: m.profile.model, keyPath: key.privatePath, outDir: originDir, files: comps.map((c) => join(build, c.name)) });
    loads.set(m.profile.model, load);
    elements.push(`  <loadInformation model="${m.profile.model}">${load}</loadInformation>`);
    elements.push(`  <pfsLoad model="${m.profile.model}" size="${packed.size}" sha256="${packed.sha256}" files="${packed.manifest.files.map((f) => f.name).join(' ')}">${load}</pfsLoad>`);
  }
  await writeFile(
    join(originDir, 'XMLDefault.cnf.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>\n<Default>\n${elements.join('\n')}\n  <enterpriseConfig><peerFirmwareSharing>${o.enterprisePfs ? 'Enabled' : 'Disabled'}</peerFirmwareSharing></enterpriseConfig>\n</Default>\n`,
  );

  const boards: SiteBoard[] = [];
  let i = 0;
  for (const m of o.models) {
    for (let k = 0; k < m.count; k++, i++) {
      const mac = labMac(i);
      const root = join(dir, 'boards', `b${String(i).padStart(3, '0')}`);
      const pfsOff = i < o.pfsOff;
      for (const sub of ['boot', 'trust', 'tmp']) await mkdir(join(root, sub), { recursive: true });
      await copyFile(key.publicPath, join(root, 'trust', 'site.pub.pem'));
      const server = o.server();
      const cfg = { model: m.profile.model, mac, tftp: `${server.host}:${server.port}`, ...o.boardConfig(i) };
      await writeFile(join(root, 'boot', 'pfs.txt'), `# written by pfs lab\n${Object.entries(cfg).map(([k2, v]) => `${k2}=${v}`).join('\n')}\n`);
      await installOldLoad(join(root, 'flash'), `${m.profile.loadPrefix}.${OLD}`);
      if (pfsOff) {
        const load = loads.get(m.profile.model)!;
        await writeFile(
          join(originDir, `SEP${mac}.cnf.xml`),
          `<?xml version="1.0" encoding="UTF-8"?>\n<device>\n  <loadInformation>${load}</loadInformation>\n  <vendorConfig><peerFirmwareSharing>0</peerFirmwareSharing></vendorConfig>\n</device>\n`,
        );
      }
      boards.push({ index: i, model: m.profile.model, mac, root, pfsOff });
    }
  }
  return {
    originDir,
    boards,
    loads,
    setBytes: comps.reduce((a, c) => a + c.size, 0),
    componentNames: comps.map((c) => c.name),
    components: comps.map((c) => ({ name: c.name, size: c.size })),
  };
}

/** A board fresh from the factory runs an older load. */
async function installOldLoad(root: string, load: string): Promise<void> {
  const flash = new DirFlash(root);
  await flash.open();
  await flash.beginInstall(load);
  const s = await flash.openComponent('factory.sbn');
  await s.writev([Buffer.from(`factory image ${load}\n`)], 0);
  await s.close();
  await flash.commit(load, [{ name: 'factory.sbn', size: Buffer.byteLength(`factory image ${load}\n`) }]);
  await flash.markGood();
}
