// The configuration fetch: SEP<MAC>.cnf.xml and XMLDefault.cnf.xml asked for at once,
// with the phone's precedence (the default only when the own file is not on the server).
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchConfigFile, runUpgrade, type UpgradeConfig } from '../../src/boot/upgrade';
import { ConfigError } from '../../src/boot/device-config';
import { TftpServer } from '../../src/net/tftp/server';
import { WanEmulator } from '../../src/net/wan';
import { rig, type Rig } from './upgrade-rig';

const OWN = 'SEP00112233AABB.cnf.xml';
const DEFAULT = 'XMLDefault.cnf.xml';

/** A configuration is its load's name; "broken" does not parse. The load running is RUNNING: a config naming it ends the upgrade at once. */
const parseConfig = (xml: string, source: string): UpgradeConfig => {
  if (xml.trim() === 'broken') throw new ConfigError(source, 'malformed XML at line 1');
  return { loadName: xml.trim(), peerFirmwareSharing: false, pfsSource: 'default' };
};
const RUNNING = 'SCCP41.8-5-4S';

async function withFiles(files: { own?: string; def?: string }, fn: (r: Rig, server: TftpServer) => Promise<void>): Promise<void> {
  const r = await rig('config-fetch');
  try {
    if (files.own !== undefined) await writeFile(join(r.root, OWN), files.own);
    if (files.def !== undefined) await writeFile(join(r.root, DEFAULT), files.def);
    else await rm(join(r.root, DEFAULT));
    const server = new TftpServer({ root: r.root, port: 0 });
    await server.start();
    try {
      await fn(r, server);
    } finally {
      await server.stop();
    }
  } finally {
    await r.close();
  }
}

test('the own file wins over the default, and the default sends no data (it was only held)', async () => {
  await withFiles({ own: RUNNING, def: 'OTHER-LOAD' }, async (r, server) => {
    const p = r.ports({ parseConfig, server: { host: '127.0.0.1', port: server.address().port } });
    const out = await runUpgrade(p);
    assert.equal(out, { kind: 'current', load: RUNNING });
    assert.ok(p.lines.some((l) => l.includes(`configuration ${OWN}`)), p.lines.join('\n'));
    assert.is(server.stats.bytesByFile.get(DEFAULT) ?? 0, 0, 'no byte of the default file was sent');
  });
});

test('no own file: the default is used, as before', async () => {
  await withFiles({ def: RUNNING }, async (r, server) => {
    const p = r.ports({ parseConfig, server: { host: '127.0.0.1', port: server.address().port } });
    const out = await runUpgrade(p);
    assert.equal(out, { kind: 'current', load: RUNNING });
    assert.ok(p.lines.some((l) => l.includes(`${OWN} not on the server: using ${DEFAULT}`)), p.lines.join('\n'));
    assert.ok(p.lines.some((l) => l.includes(`configuration ${DEFAULT}`)), p.lines.join('\n'));
  });
});

test('an own file that does not parse is the answer: the default is not taken instead', async () => {
  await withFiles({ own: 'broken', def: RUNNING }, async (r, server) => {
    const p = r.ports({ parseConfig, server: { host: '127.0.0.1', port: server.address().port } });
    const out = await runUpgrade(p);
    assert.is(out.kind, 'failed');
    assert.ok(p.lines.some((l) => /^ERR .*configuration: SEP00112233AABB\.cnf\.xml from .*malformed XML/.test(l)), p.lines.join('\n'));
    assert.not.ok(p.lines.some((l) => l.includes(`configuration ${DEFAULT}`)), 'the default was not used');
  });
});

test('neither file: the failure names the default file', async () => {
  await withFiles({}, async (r, server) => {
    const p = r.ports({ parseConfig, server: { host: '127.0.0.1', port: server.address().port } });
    const out = await runUpgrade(p);
    assert.is(out.kind, 'failed');
    assert.ok(p.lines.some((l) => /^ERR .*configuration: .*XMLDefault\.cnf\.xml/.test(l)), p.lines.join('\n'));
  });
});

test('through a 400 ms WAN, a board without its own file has its configuration in two round trips, not three', async () => {
  await withFiles({ def: RUNNING }, async (r, server) => {
    const rttMs = 400;
    const wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: { address: '127.0.0.1', port: server.address().port }, rate: 100e6, rttMs });
    await wan.start();
    try {
      const p = r.ports({ parseConfig, server: { host: '127.0.0.1', port: wan.address().port } });
      const started = performance.now();
      const out = await runUpgrade(p);
      const ms = performance.now() - started;
      assert.equal(out, { kind: 'current', load: RUNNING });
      // One after the other: "not found" (1 RTT), then the default's options (1) and data (1).
      assert.ok(ms < 3 * rttMs, `took ${Math.round(ms)} ms, at least three round trips of ${rttMs} ms`);
      assert.ok(ms >= 2 * rttMs, `took ${Math.round(ms)} ms, less than the two round trips the default needs`);
    } finally {
      await wan.stop();
    }
  });
});

test('a configuration fetch started ahead (while the board comes up) is the first attempt; a retry fetches anew', async () => {
  await withFiles({ own: 'broken', def: RUNNING }, async (r, server) => {
    const at = { host: '127.0.0.1', port: server.address().port };
    const base = r.ports({ parseConfig, server: at });
    const configAhead = fetchConfigFile(base);
    // Meanwhile the site fixes the board's file: the retry must see the fix, not the early copy again.
    await configAhead;
    await writeFile(join(r.root, OWN), RUNNING);
    const p = r.ports({ parseConfig, server: at, configAhead, configTries: 2 });
    const out = await runUpgrade(p);
    assert.equal(out, { kind: 'current', load: RUNNING });
    assert.is(p.lines.filter((l) => /^ERR .*configuration: SEP00112233AABB\.cnf\.xml from .*malformed XML/.test(l)).length, 1, p.lines.join('\n'));
  });
});

test.run();
