// The HTTP load server's setting: <vendorConfig><loadServerHttp> in a cnf.xml (our own
// element: CUCM names no HTTP server in its files), and the same forms for --http / http=.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModels } from '../../src/profiles';
import { ConfigError, parseDeviceConfig } from '../../src/boot/device-config';
import { httpBaseUrl } from '../../src/net/http/load-server';
import { bootCommand } from '../../src/cli/commands/boot';
import { UsageError, exitCodeOf } from '../../src/errors';
import { createLogger } from '../../src/log/logger';

const models = await loadModels('boards');
const M7961 = models.get('CP-7961G')!;

const xml = (vendor: string) => `<?xml version="1.0" encoding="UTF-8"?>
<Default>
  <loadInformation model="CP-7961G">SCCP41.9-4-2SR2-2S</loadInformation>
  <vendorConfig>${vendor}</vendorConfig>
</Default>`;

test('<loadServerHttp> gives the HTTP load server as a base URL; HOST[:PORT] alone means CUCM\'s port 6970', () => {
  const at = (v: string) => parseDeviceConfig(xml(`<loadServerHttp>${v}</loadServerHttp>`), M7961, 'XMLDefault.cnf.xml').httpServer;
  assert.is(at('http://192.0.2.10:6970'), 'http://192.0.2.10:6970/');
  assert.is(at('http://loads.example.net/phones/'), 'http://loads.example.net/phones/');
  assert.is(at('http://loads.example.net/phones'), 'http://loads.example.net/phones/');
  assert.is(at('192.0.2.10'), 'http://192.0.2.10:6970/');
  assert.is(at('192.0.2.10:8080'), 'http://192.0.2.10:8080/');
  assert.is(at('2001:db8::10'), 'http://[2001:db8::10]:6970/');
  assert.is(at('[2001:db8::10]:8080'), 'http://[2001:db8::10]:8080/');
  assert.is(at('192.0.2.10:80'), 'http://192.0.2.10/', 'a port given is kept, even the default one');
});

test('no <loadServerHttp>, or an empty one: no HTTP load server (TFTP only, as before)', () => {
  assert.not.ok('httpServer' in parseDeviceConfig(xml(''), M7961, 'x'));
  assert.not.ok('httpServer' in parseDeviceConfig(xml('<loadServerHttp></loadServerHttp>'), M7961, 'x'));
});

test('a <loadServerHttp> that is no http URL is PFS_ERR_CONFIG naming the file and the element', () => {
  for (const bad of ['https://192.0.2.10/', 'ftp://h/', 'http://user:pw@h/', 'http://h/?x=1', 'http://']) {
    try {
      parseDeviceConfig(xml(`<loadServerHttp>${bad}</loadServerHttp>`), M7961, 'XMLDefault.cnf.xml');
      assert.unreachable(bad);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      assert.is(e.code, 'PFS_ERR_CONFIG');
      assert.match(e.message, `XMLDefault.cnf.xml: <Default><vendorConfig><loadServerHttp> must be http://HOST[:PORT][/PATH] or HOST[:PORT] (got "${bad}")`);
    }
  }
});

test('--http and http= take the same forms', () => {
  assert.is(httpBaseUrl(' 10.0.0.1 '), 'http://10.0.0.1:6970/');
  assert.is(httpBaseUrl('http://10.0.0.1'), 'http://10.0.0.1/');
  assert.is(httpBaseUrl(''), undefined);
  assert.is(httpBaseUrl('not a url at all'), undefined);
});

test('pfs boot --http with something that is no http URL is a usage error (exit 2) before anything starts', async () => {
  try {
    await bootCommand.run({ argv: ['--http', 'https://192.0.2.10/'], log: createLogger('T', { sinks: [] }) } as Parameters<typeof bootCommand.run>[0]);
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    assert.is(exitCodeOf(e.code), 2);
    assert.match(e.message, '--http must be http://HOST[:PORT][/PATH] or HOST[:PORT], got "https://192.0.2.10/"');
  }
});

test.run();
