import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile, mkdir, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBoard, loadModels, ProfileError } from '../../src/boot/profiles';
import { selectModel, ModelSelectionError } from '../../src/boot/select-model';
import { parseDeviceConfig, ConfigError } from '../../src/boot/device-config';
import { normaliseMac, nodeIdOf } from '../../src/boot/identity';
import { configNames } from '../../src/boot/upgrade';

const boards = 'boards';

test('every shipped board and model file passes its schema', async () => {
  for (const b of ['sim', 'rpi4', 'rpi3', 'rpi-zero2w']) assert.is((await loadBoard(boards, b)).board, b);
  const models = await loadModels(boards);
  for (const m of ['CP-7961G', 'CP-7941G', 'CP-7911G', 'CP-7906G', 'CP-7931G', 'CP-7970G', 'CP-7971G-GE']) assert.ok(models.get(m)?.pfs, m);
  assert.is(models.get('CP-7960G')?.pfs, false);
  assert.is(models.get('CP-7961G')?.loadPrefix, 'SCCP41');
});

test('a bad board file names the file, the field and what was expected', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-boards-'));
  try {
    await cp(boards, dir, { recursive: true });
    const bad = JSON.parse(await (await import('node:fs/promises')).readFile(join(dir, 'rpi4.json'), 'utf8'));
    bad.flash.backend = 'ssd';
    await writeFile(join(dir, 'rpi4.json'), JSON.stringify(bad));
    const err = await loadBoard(dir, 'rpi4').catch((e) => e);
    assert.ok(err instanceof ProfileError);
    assert.match(err.message, /rpi4\.json: \/flash\/backend must be equal to one of the allowed values dir, mtd, block \(got "ssd"\)/);
    const unknown = await loadBoard(dir, 'rpi9').catch((e) => e);
    assert.match(unknown.message, /unknown board "rpi9": boards in .* are rpi-zero2w, rpi3, rpi4, sim/);
    await mkdir(join(dir, 'models'), { recursive: true });
    await writeFile(join(dir, 'models', 'CP-7961G.json'), JSON.stringify({ model: 'CP-7961G', description: '', loadPrefix: 'SCCP41', screen: { width: 'wide', height: 1, depth: 4, color: false }, leds: [], pfs: true }));
    const m = await loadModels(dir).catch((e) => e);
    assert.match(m.message, /CP-7961G\.json: \/screen\/width must be integer \(got "wide"\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('model selection: --model over the kernel command line over pfs.txt, with errors naming the valid models', async () => {
  const models = await loadModels(boards);
  const cmdline = 'console=serial0,115200 pfs.model=CP-7941G quiet';
  const bootConfig = '# pfs.txt\nmodel = CP-7911G\n';
  assert.equal(Object.values(selectModel({ cli: 'cp-7961g', cmdline, bootConfig }, models)).map((x) => (typeof x === 'string' ? x : x.model)), ['CP-7961G', '--model']);
  assert.is(selectModel({ cmdline, bootConfig }, models).profile.model, 'CP-7941G');
  assert.is(selectModel({ cmdline: 'quiet', bootConfig }, models).source, 'pfs.txt');
  const none = (() => { try { selectModel({ cmdline: 'quiet', bootConfig: '' }, models); } catch (e) { return e; } })();
  assert.ok(none instanceof ModelSelectionError);
  assert.match((none as Error).message, /no phone model selected: .* valid models: CP-7906G, CP-7911G, .*CP-7971G-GE/);
  assert.throws(() => selectModel({ cli: 'CP-9999' }, models), /unknown model "CP-9999" \(from --model\): valid models: CP-7906G/);
});

test('identity: MAC spelled as the phone asks for its file, and its XID', () => {
  assert.is(normaliseMac('00:1b:d5:08:00:27'), '001BD5080027');
  assert.equal(configNames('001BD5080027'), ['SEP001BD5080027.cnf.xml', 'XMLDefault.cnf.xml']);
  assert.is(nodeIdOf('001BD5080027').toString(16), 'd5080027');
  assert.throws(() => normaliseMac('nope'), /not a MAC address/);
});

const sep = (pfs: string | null, profile: string | null) => `<?xml version="1.0" encoding="UTF-8"?>
<device>
  <loadInformation>SCCP41.9-4-2SR2-2S</loadInformation>
  ${pfs === null ? '' : `<vendorConfig><peerFirmwareSharing>${pfs}</peerFirmwareSharing></vendorConfig>`}
  ${profile === null ? '' : `<commonProfile><peerFirmwareSharing>${profile}</peerFirmwareSharing></commonProfile>`}
  <enterpriseConfig><peerFirmwareSharing>1</peerFirmwareSharing></enterpriseConfig>
  <pfsLoad model="CP-7961G" size="1234" sha256="${'ab'.repeat(32)}">SCCP41.9-4-2SR2-2S</pfsLoad>
</device>`;

test('Peer Firmware Sharing: the device setting, else the common phone profile, else the enterprise; default off', async () => {
  const m = (await loadModels(boards)).get('CP-7961G')!;
  const p = (xml: string) => { const c = parseDeviceConfig(xml, m, 'SEP.cnf.xml'); return [c.peerFirmwareSharing, c.pfsSource]; };
  assert.equal(p(sep('0', '1')), [false, 'device']);
  assert.equal(p(sep('Enabled', '0')), [true, 'device']);
  assert.equal(p(sep(null, 'Disabled')), [false, 'common phone profile']);
  assert.equal(p(sep(null, null)), [true, 'enterprise']);
  assert.equal(p('<device><loadInformation>X</loadInformation></device>'), [false, 'default']);
  const c = parseDeviceConfig(sep(null, null), m, 'x');
  assert.equal([c.loadName, c.manifest], ['SCCP41.9-4-2SR2-2S', { load: 'SCCP41.9-4-2SR2-2S', size: 1234, sha256: 'ab'.repeat(32) }]);
  assert.throws(() => parseDeviceConfig(sep('maybe', null), m, 'SEPX.cnf.xml'), /SEPX\.cnf\.xml: <device><vendorConfig><peerFirmwareSharing> must be Enabled or Disabled/);
});

test('XMLDefault: the load is chosen by model, in both the short and the CUCM spelling', async () => {
  const models = await loadModels(boards);
  const xml = `<Default>
    <loadInformation30018 model="Cisco 7961">SCCP41.A</loadInformation30018>
    <loadInformation model="CP-7941G">SCCP41.B</loadInformation>
    <loadInformation model="CP-7911G">SCCP11.C</loadInformation>
  </Default>`;
  assert.is(parseDeviceConfig(xml, models.get('CP-7961G')!, 'd').loadName, 'SCCP41.A');
  assert.is(parseDeviceConfig(xml, models.get('CP-7941G')!, 'd').loadName, 'SCCP41.B');
  assert.is(parseDeviceConfig(xml, models.get('CP-7970G')!, 'd').loadName, undefined);
});

test('malformed XML is a ConfigError naming the file and the line', async () => {
  const m = (await loadModels(boards)).get('CP-7961G')!;
  const err = (() => { try { parseDeviceConfig('<device>\n<loadInformation>x</device>', m, 'SEP001.cnf.xml'); } catch (e) { return e; } })();
  assert.ok(err instanceof ConfigError);
  assert.match((err as Error).message, /^SEP001\.cnf\.xml: malformed XML at line 2/);
});

test.run();
