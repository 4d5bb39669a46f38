// Names from the network are names, not paths (D6): a cnf.xml's load name becomes
// `<load>.loads` in the board's scratch folder and the slot's install mark, so a
// `../` in it must be refused where the file is read, before anything is opened.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModels } from '../../src/profiles';
import { ConfigError, parseDeviceConfig } from '../../src/boot/device-config';
import { createLogger } from '../../src/log/logger';
import { runUpgrade, type UpgradeFlash } from '../../src/boot/upgrade';
import { site } from '../net/peer/site';

const models = await loadModels('boards');
const M7961 = models.get('CP-7961G')!;
const SHA = 'ab'.repeat(32);

const defaultFile = (load: string, pfsLoad = load) => `<Default>
  <loadInformation model="CP-7961G">${load}</loadInformation>
  <pfsLoad model="CP-7961G" size="1000" sha256="${SHA}">${pfsLoad}</pfsLoad>
  <enterpriseConfig><vendorConfig><peerFirmwareSharing>1</peerFirmwareSharing></vendorConfig></enterpriseConfig>
</Default>`;

function refusal(xml: string): ConfigError {
  try {
    parseDeviceConfig(xml, M7961, 'XMLDefault.cnf.xml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  throw assert.unreachable('the file was accepted');
}

test('a load name that is a path is a configuration error naming the file and the element', () => {
  for (const bad of ['../../victim', '/etc/passwd', 'a/b', '..', '.', 'x\\..\\y', 'SCCP 41']) {
    const e = refusal(defaultFile(bad, 'SCCP41.9-4-2SR2-2S'));
    assert.is(e.code, 'PFS_ERR_CONFIG');
    assert.match(e.message, /^XMLDefault\.cnf\.xml: <loadInformation> names the load .*never a path/);
  }
  const e = refusal(defaultFile('SCCP41.9-4-2SR2-2S', '../../victim'));
  assert.match(e.message, /<pfsLoad model="CP-7961G"> names the load "\.\.\/\.\.\/victim"/);
  // Real load names pass.
  assert.is(parseDeviceConfig(defaultFile('SCCP41.9-4-2SR2-2S'), M7961, 'XMLDefault.cnf.xml').loadName, 'SCCP41.9-4-2SR2-2S');
});

test('regression D6: <loadInformation>../../victim</loadInformation> leaves a file outside the board untouched (it was truncated to 0 bytes)', async () => {
  const s = await site(64 * 1024);
  try {
    await writeFile(join(s.root, 'origin', 'XMLDefault.cnf.xml'), defaultFile('../../victim'));
    // The board's scratch folder is <root>/b1/tmp: ../../victim.loads is <root>/victim.loads.
    const tmpDir = join(s.root, 'b1', 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const victim = join(s.root, 'victim.loads');
    await writeFile(victim, 'precious');
    const { node } = await s.board(1, { timers: { claimBackoffMs: 50, advertMs: 50 } });
    const lines: string[] = [];
    const opened: string[] = [];
    const flash: UpgradeFlash = {
      activeLoad: async () => 'SCCP41.8-5-4S',
      beginInstall: async (load) => void opened.push(`install ${load}`),
      openComponent: async (name) => {
        opened.push(name);
        throw new Error('no component is opened');
      },
      commit: async (load) => void opened.push(`commit ${load}`),
    };
    const out = await runUpgrade({
      log: createLogger('BOOT', { level: 'DBG', sinks: [{ writeLine: (l) => void lines.push(l) }] }),
      model: { model: 'CP-7961G', pfs: true },
      mac: '00112233AABB',
      server: { host: '127.0.0.1', port: s.server.address().port },
      tftp: { timeoutMs: 200 },
      parseConfig: (xml, source) => parseDeviceConfig(xml, M7961, source),
      openManifest: () => {
        throw new Error('no manifest is opened');
      },
      flash,
      peers: node,
      tmpDir,
      configRetryMs: 10,
      configRetryMaxMs: 10,
      configTries: 1,
      upgradeTimeoutMs: 1500,
      lingerMs: 0,
    });
    assert.is(await readFile(victim, 'utf8'), 'precious', 'the file outside the board is intact');
    assert.is(out.kind === 'failed' && out.code, 'PFS_ERR_CONFIG', JSON.stringify(out));
    assert.equal(opened, [], 'nothing on flash was touched');
    assert.ok(lines.some((l) => l.includes('never a path')), 'the console says why');
  } finally {
    await s.close();
  }
});

test.run();
