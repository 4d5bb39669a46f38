// pfs boot past --upgrade-timeout (D5): every wait of the download, the manifest
// included, ends at the upgrade's limit. runUpgrade through its ports: a real TFTP
// server and peer engine on loopback, a flash of test media.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../../src/log/logger';
import { runUpgrade, type UpgradeFlash } from '../../src/boot/upgrade';
import { site } from '../net/peer/site';

const LOAD = 'SCCP41.9-4-2SR2-2S';

/** Rejects if `work` has not settled within `ms`: the test fails instead of hanging. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(what)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

test('regression D5: a cnf.xml naming a load whose .loads is not on the server ends at --upgrade-timeout (it ran on past it)', async () => {
  const s = await site(64 * 1024);
  try {
    await writeFile(join(s.root, 'origin', 'XMLDefault.cnf.xml'), '<device/>');
    const { node } = await s.board(1, { timers: { claimBackoffMs: 50, advertMs: 50 } });
    const lines: string[] = [];
    const committed: string[] = [];
    const flash: UpgradeFlash = {
      activeLoad: async () => 'SCCP41.8-5-4S',
      beginInstall: async () => {},
      openComponent: async () => { throw new Error('nothing is opened without a manifest'); },
      commit: async (load) => void committed.push(load),
    };
    const t0 = performance.now();
    const out = await within(runUpgrade({
      log: createLogger('BOOT', { level: 'DBG', sinks: [{ writeLine: (l) => void lines.push(l) }] }),
      model: { model: 'CP-7961G', pfs: true },
      mac: '00112233AABB',
      server: { host: '127.0.0.1', port: s.server.address().port },
      tftp: { timeoutMs: 200 },
      // The configuration gives the manifest's digest, so the peers are asked for it.
      parseConfig: () => ({ loadName: LOAD, peerFirmwareSharing: true, pfsSource: 'enterprise', manifest: { load: LOAD, size: 1000, sha256: '00'.repeat(32) } }),
      openManifest: () => { throw new Error('no manifest arrives'); },
      flash,
      peers: node,
      tmpDir: join(s.root, 'b1'),
      configRetryMs: 10,
      configRetryMaxMs: 10,
      configTries: 1,
      upgradeTimeoutMs: 1500,
      lingerMs: 0,
    }), 8000, 'runUpgrade still running 8 s after its 1.5 s limit');
    const took = performance.now() - t0;
    assert.is(out.kind === 'failed' && out.code, 'PFS_ERR_UPGRADE_TIMEOUT', JSON.stringify(out));
    assert.match(out.kind === 'failed' ? out.reason : '', `${LOAD}.loads`);
    assert.ok(took < 4000, `it gave up at its limit (${Math.round(took)} ms)`);
    assert.equal(committed, []);
  } finally {
    await s.close();
  }
});

test.run();
