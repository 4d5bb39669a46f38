// runUpgrade driven through its ports (see upgrade-rig.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runUpgrade } from '../../src/boot/upgrade';
import { BLOCK, LOAD, rig } from './upgrade-rig';
import { watchRoom } from '../helpers/room-watch';
import { SACK_SHARE_BYTES, SACK_SHARE_FLOOR } from '../../src/net/tftp/sack-share';

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

test('plain TFTP upgrade: each component, fetched alone, offers the board\'s whole in-flight budget (1-4 MiB, by its flash), not a lone transfer\'s 256 KiB', async () => {
  const r = await rig();
  const origin = r.ports().server;
  // The room the board's ACKs offer, as they cross the WAN (a lone transfer's 256 KiB
  // holds it to 14 Mbit/s at 150 ms, whatever the WAN's rate).
  const watch = await watchRoom({ address: origin.host, port: origin.port }, 20);
  const wan = watch.wan;
  try {
    const p = r.ports({ server: { host: '127.0.0.1', port: wan.address().port } });
    assert.is((await runUpgrade(p)).kind, 'committed');
    // 1 MiB until the flash's pace is known, then what it writes in 250 ms (this rig's
    // flash is a file: fast, so up to 4 MiB, less when the machine is loaded).
    const room = watch.maxRoom();
    assert.ok(room >= Math.floor(SACK_SHARE_FLOOR / 1468) && room <= Math.floor(SACK_SHARE_BYTES / 1468), `room ${room} blocks`);
  } finally {
    await wan.stop();
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
