// A board that stops (pfs boot reboots into its new load once its children are served)
// tells its root over real sockets, and the root places no later board under it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until, within } from '../../helpers/net';
import { site } from './site';

test('a member that stops says Leaving before its socket closes; the next board goes where someone serves', async () => {
  const s = await site(256 << 10);
  try {
    const plan = { name: s.file.name, plan: s.file.plan };
    const root = await s.board(1);
    await within(10_000, 'board 1', root.node.fetch(plan));
    assert.is(root.node.status()[0]!.role, 'root');
    // Two members fill the root's two slots.
    const b2 = await s.board(2);
    const b3 = await s.board(3);
    await within(10_000, 'boards 2 and 3', Promise.all([b2.node.fetch(plan), b3.node.fetch(plan)]));
    for (const b of [b2, b3]) assert.ok(b.lines.some((l) => l.includes('parent XID00001001 ') && l.includes('depth=1')), b.lines.join('\n'));

    const t0 = performance.now();
    await b2.node.stop();
    assert.ok(performance.now() - t0 < 1000, 'stop() does not hang on its last datagram');
    assert.ok(b2.lines.some((l) => l.includes('leaving root XID00001001')), b2.lines.join('\n'));
    await until(() => root.lines.some((l) => l.includes('XID00001002 leaves')), { timeoutMs: 2000, what: 'the root to hear board 2 leave' });

    // Board 2's slot under the root is free again: board 4 takes it, not a place under board 2.
    const b4 = await s.board(4);
    await within(10_000, 'board 4', b4.node.fetch(plan));
    const parents = b4.lines.filter((l) => / parent XID\w+ at /.test(l));
    assert.ok(parents.length === 1 && parents[0]!.includes('parent XID00001001 ') && parents[0]!.includes('depth=1'), parents.join('\n'));
    assert.is(s.server.stats.bytesByFile.get(s.file.name), 256 << 10, 'the file crossed once');
  } finally {
    await s.close();
  }
});

test.run();
