// The short version of bench:fleet's BitTorrent row (bench/fleet-bt.ts): three boards
// on a namespace subnet behind the 10 Mbit/s, 150 ms WAN, a 1 MiB set; board 0 fetches
// it once over the WAN and seeds it, opentracker and aria2c do the rest. Every board
// must end with every file byte for byte, the WAN must have carried one copy, and the
// row must report its two phases, so that the benchmark's row cannot rot unseen.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsUnavailable, NetnsSubnet } from '../../src/lab/netns/subnet';
import { btMissing, infoHash, runBitTorrent } from '../../bench/fleet-bt';
import { BUNDLE } from '../../bench/fleet-run';
import { anyMissing, testIf } from '../helpers/index';

const why = anyMissing(netnsUnavailable(), btMissing(), existsSync(BUNDLE) ? undefined : `${BUNDLE} is missing: npm run build`);

testIf(why, 'BitTorrent row at N = 3, 1 MiB: one WAN copy, then every board holds the set byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-fleet-bt-'));
  const originDir = join(dir, 'origin');
  const files = ['SIP41.9-4-2SR3-1S.loads', 'c1.sbn', 'c2.sbn', 'c3.sbn', 'c4.sbn'];
  const sizes = [700, 256 << 10, 256 << 10, 256 << 10, (256 << 10) - 700];
  const want = new Map<string, string>();
  mkdirSync(originDir);
  files.forEach((f, k) => {
    const data = randomBytes(sizes[k]!);
    writeFileSync(join(originDir, f), data);
    want.set(f, createHash('sha256').update(data).digest('hex'));
  });
  const net = await NetnsSubnet.create({ boards: 3, lanRateBit: 100e6, wanRateBit: 10e6, handleSignals: false });
  try {
    const r = await runBitTorrent({ net, originDir, files, work: join(dir, 'bt'), origin: { rttMs: 150, pipeline: 1 }, pieceBytes: 64 << 10, capS: 30 });
    assert.equal(r.notes, [], 'no failure noted');
    assert.ok(r.verified, 'the row says every copy checked out');
    // Checked here too, not only by the row: every board, every file.
    assert.is(r.copies.length, 3);
    for (const copy of r.copies) {
      for (const f of files) {
        const p = join(copy, f);
        assert.ok(existsSync(p), `${p} is missing`);
        assert.is(createHash('sha256').update(readFileSync(p)).digest('hex'), want.get(f), `${p} differs from the origin's`);
      }
    }
    const image = sizes.reduce((a, b) => a + b, 0);
    // One windowed WAN fetch (and its resends, if the machine is busy): the swarm took no second copy from the origin.
    assert.ok(r.wanBytes >= image && r.wanBytes < image * 1.5, `the origin sent ${r.wanBytes} bytes for a ${image}-byte set`);
    // 1 MiB at 10 Mbit/s is 0.84 s; the swarm follows the fetch.
    assert.ok(r.wanFetchSeconds > 0.8, `WAN fetch ${r.wanFetchSeconds} s`);
    assert.ok(r.fleetSeconds > r.wanFetchSeconds && r.fleetSeconds < 30, `fleet ${r.fleetSeconds} s, WAN fetch ${r.wanFetchSeconds} s`);
  } finally {
    await net.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});

test('infoHash: the SHA-1 of the bencoded info dictionary, whatever keys come before or after it', () => {
  const info = 'd6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae';
  const torrent = Buffer.from(`d8:announce9:http://x/7:comment3:abc4:info${info}8:url-listl3:u/1ee`, 'latin1');
  assert.is(infoHash(torrent), createHash('sha1').update(info, 'latin1').digest('hex'));
  assert.throws(() => infoHash(Buffer.from('d8:announce1:xe')), /no info dictionary/);
});

test.run();
