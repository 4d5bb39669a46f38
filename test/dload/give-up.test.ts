import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DLoadNode } from '../../src/dload/node';
import { encode, STREAM_STATUS } from '../../src/dload/wire';
import type { DLoadAction } from '../../src/dload/types';

const FILE = { name: '/dnld/SCCP41.9-4-2SR2-2S.loads', size: 1 << 20, blockBytes: 65536 };

/** One board alone on the wire, ticked until it is root and fetching from the origin. */
function rootAlone() {
  const n = new DLoadNode({ nodeId: 0x100, model: 'CP-7961G', tcpPort: 4051, random: () => 0.5 });
  const { key, actions } = n.addFile(0, FILE);
  let t = 0;
  /** Ticks until the board (re)starts its origin transfer; returns the time it did. */
  const untilFetch = (first: DLoadAction[] = []): number => {
    const seen = [...first];
    const end = t + 10_000;
    for (; t < end && !seen.some((a) => a.type === 'FetchOrigin'); t += 10) if (n.nextDeadline() <= t) seen.push(...n.tick(t));
    assert.ok(seen.some((a) => a.type === 'FetchOrigin'), 'the board fetches from the origin');
    return t;
  };
  untilFetch(actions);
  return { n, key, untilFetch };
}

test('the origin serving blocks that fail their hashes: the root gives the file up after the third (PFS_ERR_ORIGIN_CORRUPT)', () => {
  const { n, key, untilFetch } = rootAlone();
  const first = n.onEvent(3000, { type: 'BlockCorrupt', key, index: 0 });
  assert.ok(first.some((a) => a.type === 'StopOrigin'), 'the first corrupt block drops the transfer');
  assert.not.ok(first.some((a) => a.type === 'FileFailed'));
  const second = n.onEvent(untilFetch(), { type: 'BlockCorrupt', key, index: 0 });
  assert.not.ok(second.some((a) => a.type === 'FileFailed'), 'a second bad block is retried');
  const third = n.onEvent(untilFetch(), { type: 'BlockCorrupt', key, index: 0 });
  const failed = third.find((a) => a.type === 'FileFailed');
  assert.ok(failed && failed.type === 'FileFailed' && failed.code === 'PFS_ERR_ORIGIN_CORRUPT', JSON.stringify(third));
  assert.match(failed.reason, /origin's copy is not the one the load was signed with/);
  assert.is(n.session(key)!.role, 'failed');
  assert.is(n.nextDeadline(), Infinity, 'a board that gave up stops advertising');
});

test('a board that gave a file up refuses children for it and ignores adverts', () => {
  const { n, key } = rootAlone();
  const acts = n.onEvent(3000, { type: 'LocalFailure', key, code: 'PFS_ERR_FLASH_WRITE', reason: 'flash d: EIO' });
  assert.ok(acts.some((a) => a.type === 'FileFailed' && a.code === 'PFS_ERR_FLASH_WRITE'));
  assert.ok(acts.some((a) => a.type === 'StopOrigin'), 'the origin transfer is dropped');
  const req = n.onStreamRequest(3100, encode({ type: 'StreamRequest', key, sender: 0x200, offset: 0 }));
  assert.equal(req, [{ type: 'RejectChild', key, childId: 0x200, status: STREAM_STATUS.UNKNOWN_KEY }]);
  const advert = encode({ type: 'ConfirmedRoot', key, sender: 0x300, strength: 1, held: 0, tcpPort: 4051, ad: 0, map: 0 });
  assert.equal(n.onDatagram(3200, { addr: '198.18.0.3', port: 4051 }, advert), []);
});

test.run();
