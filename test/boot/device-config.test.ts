import { readFile } from 'node:fs/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModels } from '../../src/profiles';
import { ConfigError, parseDeviceConfig, PFS_SOURCE_TEXT, type DeviceConfig } from '../../src/boot/device-config';

const models = await loadModels('boards');
const M7961 = models.get('CP-7961G')!;
const SHA = 'ab'.repeat(32);

/** A SEP file with Peer Firmware Sharing set (or not, for null) at each level. */
const sep = (device: string | null, profile: string | null, enterprise: string | null, extra = '') => `<?xml version="1.0" encoding="UTF-8"?>
<device>
  <devicePool><callManagerGroup><members><member priority="0"><callManager><ports><ethernetPhonePort>2000</ethernetPhonePort></ports><processNodeName>192.0.2.5</processNodeName></callManager></member></members></callManagerGroup></devicePool>
  <loadInformation>SCCP41.9-4-2SR2-2S</loadInformation>
  <vendorConfig>
    <disableSpeaker>false</disableSpeaker>
    ${device === null ? '' : `<peerFirmwareSharing>${device}</peerFirmwareSharing>`}
  </vendorConfig>
  <commonProfile>
    <phonePassword></phonePassword>
    ${profile === null ? '' : `<vendorConfig><peerFirmwareSharing>${profile}</peerFirmwareSharing></vendorConfig>`}
  </commonProfile>
  ${enterprise === null ? '' : `<enterpriseConfig><vendorConfig><peerFirmwareSharing>${enterprise}</peerFirmwareSharing></vendorConfig></enterpriseConfig>`}
  ${extra}
</device>`;

const pfs = (xml: string) => {
  const c = parseDeviceConfig(xml, M7961, 'SEP001BD5080027.cnf.xml');
  return `${c.peerFirmwareSharing ? 'on' : 'off'} by ${c.pfsSource}`;
};

function configError(xml: string, model = M7961, source = 'SEP001BD5080027.cnf.xml'): ConfigError {
  try {
    parseDeviceConfig(xml, model, source);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.is(e.code, 'PFS_ERR_CONFIG');
    assert.is(e.source, source);
    assert.ok(e.message.startsWith(`${source}: `), e.message);
    return e;
  }
  throw new Error('no error');
}

test('PFS precedence: the device overrides the common phone profile, which overrides the enterprise', () => {
  // [device, common phone profile, enterprise] -> result
  const table: [string | null, string | null, string | null, string][] = [
    ['1', '0', '0', 'on by device'],
    ['0', '1', '1', 'off by device'],
    ['Enabled', null, 'Disabled', 'on by device'],
    ['Disabled', null, null, 'off by device'],
    [null, '1', '0', 'on by commonProfile'],
    [null, '0', '1', 'off by commonProfile'],
    [null, 'true', null, 'on by commonProfile'],
    [null, null, '1', 'on by enterprise'],
    [null, null, 'false', 'off by enterprise'],
    [null, null, null, 'off by default'],
    ['', '', '', 'off by default'],
    ['', '', 'Enabled', 'on by enterprise'],
  ];
  for (const [d, p, e, want] of table) assert.is(pfs(sep(d, p, e)), want, `device=${d} profile=${p} enterprise=${e}`);
});

test('flag spellings: 0/1, true/false, Enabled/Disabled in any case; anything else is an error naming the element', () => {
  for (const v of ['1', 'true', 'TRUE', 'Enabled', 'enabled']) assert.is(pfs(sep(v, null, null)), 'on by device', v);
  for (const v of ['0', 'false', 'Disabled', 'DISABLED']) assert.is(pfs(sep(v, null, null)), 'off by device', v);
  assert.is(
    configError(sep('maybe', null, null)).message,
    'SEP001BD5080027.cnf.xml: <device><vendorConfig><peerFirmwareSharing> must be one of 1, 0, true, false, Enabled, Disabled (got "maybe")',
  );
  assert.match(configError(sep(null, '2', null)).message, /<device><commonProfile><vendorConfig><peerFirmwareSharing> must be one of/);
});

test('the short form <commonProfile><peerFirmwareSharing> is read too, and must not contradict the long one', () => {
  const short = (p: string, e: string) => `<device><loadInformation>X</loadInformation><commonProfile><peerFirmwareSharing>${p}</peerFirmwareSharing></commonProfile><enterpriseConfig><peerFirmwareSharing>${e}</peerFirmwareSharing></enterpriseConfig></device>`;
  assert.is(pfs(short('0', '1')), 'off by commonProfile');
  assert.is(pfs(short('', '1')), 'on by enterprise');
  const both = '<device><loadInformation>X</loadInformation><commonProfile><peerFirmwareSharing>1</peerFirmwareSharing><vendorConfig><peerFirmwareSharing>0</peerFirmwareSharing></vendorConfig></commonProfile></device>';
  assert.match(configError(both).message, /<device><commonProfile> sets peerFirmwareSharing twice, differently/);
  const twice = '<device><loadInformation>X</loadInformation><vendorConfig><peerFirmwareSharing>1</peerFirmwareSharing><peerFirmwareSharing>0</peerFirmwareSharing></vendorConfig></device>';
  assert.is(configError(twice).message, 'SEP001BD5080027.cnf.xml: <device><vendorConfig><peerFirmwareSharing> appears 2 times');
});

test('a SEP file: its own load, the load servers, the manifest digest', () => {
  const c = parseDeviceConfig(
    sep('1', null, null, `<pfsLoad model="CP-7961G" size="41234" sha256="${SHA.toUpperCase()}">SCCP41.9-4-2SR2-2S</pfsLoad>`).replace('<disableSpeaker>', '<loadServer>192.0.2.20 [2001:db8::20]:6969, tftp.example.net:1069</loadServer><disableSpeaker>'),
    M7961,
    'SEP001BD5080027.cnf.xml',
  );
  assert.equal(c, {
    loadName: 'SCCP41.9-4-2SR2-2S',
    tftpServers: [{ host: '192.0.2.20', port: 69 }, { host: '2001:db8::20', port: 6969 }, { host: 'tftp.example.net', port: 1069 }],
    peerFirmwareSharing: true,
    pfsSource: 'device',
    manifest: { load: 'SCCP41.9-4-2SR2-2S', size: 41234, sha256: SHA },
  } satisfies DeviceConfig);
  // CUCM writes an empty <loadServer/>: load from the configuration's own server.
  assert.equal(parseDeviceConfig(sep(null, null, null).replace('<disableSpeaker>', '<loadServer></loadServer><disableSpeaker>'), M7961, 's').tftpServers, []);
  assert.match(configError(sep(null, null, null).replace('<disableSpeaker>', '<loadServer>host:99999</loadServer><disableSpeaker>')).message, /<loadServer> must be HOST or HOST:PORT \(got "host:99999"\)/);
});

const XMLDEFAULT = `<?xml version="1.0" encoding="UTF-8"?>
<Default>
  <callManagerGroup><members><member priority="0"><callManager><ports><ethernetPhonePort>2000</ethernetPhonePort></ports><processNodeName>192.0.2.5</processNodeName></callManager></member></members></callManagerGroup>
  <loadInformation30018 model="Cisco 7961">SCCP41.9-4-2SR2-2S</loadInformation30018>
  <loadInformation115 model="Cisco 7941">SCCP41.9-4-2SR2-2S-7941</loadInformation115>
  <loadInformation model="CP-7911G">SCCP11.9-4-2SR2-2S</loadInformation>
  <loadInformation348>SCCP31.9-4-2SR2-2S</loadInformation348>
  <loadInformation7 model="IP Phone 7960">P0030801SR02</loadInformation7>
  <loadInformation30006 model="Cisco 7970"></loadInformation30006>
  <pfsLoad model="CP-7961G" size="1234" sha256="${SHA}">SCCP41.9-4-2SR2-2S</pfsLoad>
  <pfsLoad model="CP-7941G" size="1240" sha256="${'cd'.repeat(32)}">SCCP41.9-4-2SR2-2S-7941</pfsLoad>
  <enterpriseConfig><vendorConfig><peerFirmwareSharing>Enabled</peerFirmwareSharing></vendorConfig></enterpriseConfig>
</Default>`;

test('XMLDefault: the load by model attribute (any spelling) or CUCM device type; the manifest per model', () => {
  const load = (m: string) => parseDeviceConfig(XMLDEFAULT, models.get(m)!, 'XMLDefault.cnf.xml');
  assert.equal([load('CP-7961G').loadName, load('CP-7961G').manifest?.size], ['SCCP41.9-4-2SR2-2S', 1234]);
  assert.equal([load('CP-7941G').loadName, load('CP-7941G').manifest?.size], ['SCCP41.9-4-2SR2-2S-7941', 1240]);
  assert.equal([load('CP-7911G').loadName, load('CP-7911G').manifest], ['SCCP11.9-4-2SR2-2S', undefined]);
  assert.is(load('CP-7931G').loadName, 'SCCP31.9-4-2SR2-2S');
  assert.is(load('CP-7960G').loadName, 'P0030801SR02');
  assert.is(`${load('CP-7961G').peerFirmwareSharing} ${load('CP-7961G').pfsSource}`, 'true enterprise');
});

test('no load for the model is a ConfigError that says what the file does name', () => {
  const e = configError(XMLDEFAULT, models.get('CP-7970G')!, 'XMLDefault.cnf.xml');
  assert.is(
    e.message,
    'XMLDefault.cnf.xml: no load for CP-7970G: its <loadInformation> entries are for Cisco 7961 (SCCP41.9-4-2SR2-2S), Cisco 7941 (SCCP41.9-4-2SR2-2S-7941), CP-7911G (SCCP11.9-4-2SR2-2S), loadInformation348 (SCCP31.9-4-2SR2-2S), IP Phone 7960 (P0030801SR02)',
  );
  assert.match(configError('<device><vendorConfig/></device>').message, /no load for CP-7961G: no <loadInformation> element with a load name/);
  // A <Default>'s plain <loadInformation> names no model: it is nobody's.
  assert.match(configError('<Default><loadInformation>X</loadInformation></Default>', M7961, 'XMLDefault.cnf.xml').message, /no load for CP-7961G/);
  const two = XMLDEFAULT.replace('<loadInformation model="CP-7911G">', '<loadInformation model="CP-7961G">');
  assert.is(configError(two, M7961, 'XMLDefault.cnf.xml').message, 'XMLDefault.cnf.xml: names 2 different loads for CP-7961G: SCCP41.9-4-2SR2-2S, SCCP11.9-4-2SR2-2S');
});

test('the <pfsLoad> element: size and sha256 checked, per model, one per model', () => {
  const withLoad = (attrs: string, body = 'SCCP41.9-4-2SR2-2S') => sep(null, null, '1', `<pfsLoad ${attrs}>${body}</pfsLoad>`);
  assert.equal(parseDeviceConfig(withLoad(`size="7" sha256="${SHA}"`), M7961, 's').manifest, { load: 'SCCP41.9-4-2SR2-2S', size: 7, sha256: SHA });
  assert.is(parseDeviceConfig(withLoad(`model="CP-7941G" size="7" sha256="${SHA}"`), M7961, 's').manifest, undefined);
  assert.match(configError(withLoad(`model="CP-7961G" size="1e3" sha256="${SHA}"`)).message, /<pfsLoad model="CP-7961G"> size must be the manifest's size in bytes \(got "1e3"\)/);
  assert.match(configError(withLoad(`model="CP-7961G" size="12" sha256="abc"`)).message, /<pfsLoad model="CP-7961G"> sha256 must be 64 hex digits \(got "abc"\)/);
  assert.match(configError(withLoad(`model="CP-7961G" size="12" sha256="${SHA}"`, '')).message, /<pfsLoad model="CP-7961G"> needs the load name as its text/);
  assert.match(configError(`<Default><loadInformation model="CP-7961G">L</loadInformation><pfsLoad size="1" sha256="${SHA}">L</pfsLoad></Default>`, M7961, 'XMLDefault.cnf.xml').message, /<pfsLoad> needs a model="…" attribute in a default file/);
  const two = `${withLoad(`model="CP-7961G" size="12" sha256="${SHA}"`)}`.replace('</device>', `<pfsLoad model="Cisco 7961" size="13" sha256="${SHA}">SCCP41.9-4-2SR2-2S</pfsLoad></device>`);
  assert.match(configError(two).message, /has 2 different <pfsLoad> elements for CP-7961G/);
});

test('<pfsLoad files="…">: the component names its manifest lists, a hint for the root; plain names only', () => {
  const withLoad = (files: string) => sep(null, null, '1', `<pfsLoad model="CP-7961G" size="7" sha256="${SHA}" files="${files}">SCCP41.9-4-2SR2-2S</pfsLoad>`);
  assert.equal(parseDeviceConfig(withLoad('apps41.sbn  cnu41.sbn,dsp41.sbn'), M7961, 's').manifest?.files, ['apps41.sbn', 'cnu41.sbn', 'dsp41.sbn']);
  assert.match(configError(withLoad('apps41.sbn ../etc/passwd')).message, /<pfsLoad model="CP-7961G"> files names "..\/etc\/passwd": a component name is a plain name/);
  assert.match(configError(withLoad(' ')).message, /files must name 1 to 64 components \(got 0\)/);
});

test('malformed XML, a wrong root, an empty file: ConfigError with the file and the reason', () => {
  assert.match(configError('<device>\n<loadInformation>x</device>').message, /^SEP001BD5080027\.cnf\.xml: malformed XML at line 2, column \d+: /);
  assert.match(configError('').message, /^SEP001BD5080027\.cnf\.xml: malformed XML at line 1/);
  assert.match(configError('<html><body>404 Not Found</body></html>').message, /the root element must be <device> or <Default> \(got <html>\)/);
  assert.match(configError('<device><loadInformation>X</loadInformation></device><device/>').message, /: more than one <device> element$/);
});

test('the examples in docs/CONFIG.md read as the text says', async () => {
  const blocks = [...(await readFile('docs/CONFIG.md', 'utf8')).matchAll(/```xml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.is(blocks.length, 2);
  const [sepXml, defXml] = blocks as [string, string];
  const s = parseDeviceConfig(sepXml, M7961, 'SEP001BD5080027.cnf.xml');
  assert.equal(s, { loadName: 'SCCP41.9-4-2SR2-2S', tftpServers: [], peerFirmwareSharing: true, pfsSource: 'device', manifest: { load: 'SCCP41.9-4-2SR2-2S', size: 1234, sha256: s.manifest!.sha256 } });
  const d = parseDeviceConfig(defXml, models.get('CP-7941G')!, 'XMLDefault.cnf.xml');
  assert.equal([d.loadName, d.peerFirmwareSharing, d.pfsSource, d.manifest?.size], ['SCCP41.9-4-2SR2-2S-7941G', true, 'enterprise', 1236]);
  assert.is(parseDeviceConfig(defXml, M7961, 'x').manifest?.size, 1234);
  assert.is(parseDeviceConfig(defXml, models.get('CP-7960G')!, 'x').loadName, 'P0030801SR02');
  assert.match(configError(defXml, models.get('CP-7931G')!, 'XMLDefault.cnf.xml').message, /no load for CP-7931G/);
});

test('log wording of each level', () => {
  assert.equal(Object.values(PFS_SOURCE_TEXT), ['device', 'common phone profile', 'enterprise', 'default']);
});

test.run();
