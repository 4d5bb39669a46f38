import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/log/logger';
import { runLab, type LabProgress } from '../../src/lab/lab';
import { createLabView, labTree, verifiedCount } from '../../src/lab/view';
import type { BoardReport } from '../../src/lab/types';
import type { FileStatus } from '../../src/net/peer/peer-node';
import { freePortRange } from '../helpers/net';

const FILES = ['SCCP41.loads', 'apps41.sbn', 'cnu41.sbn', 'cvm41.sbn', 'dsp41.sbn'];
const SIZE = 2 << 20;
const id = (i: number) => 0x080027f8 + i;

/** `n` boards mid-upgrade, every file a complete binary tree under board 0, board i's parent (i-1)/2. */
function fleet(n: number, over: (r: BoardReport) => void = () => {}): LabProgress {
  const reports: BoardReport[] = [];
  for (let i = 0; i < n; i++) {
    const files: FileStatus[] = FILES.map((name) => ({
      name, role: i === 0 ? 'root' : 'member', size: SIZE, verifiedBytes: SIZE / 2, complete: false,
      parentId: i === 0 ? null : id((i - 1) >> 1), rootId: id(0), depth: Math.floor(Math.log2(i + 1)), children: Math.max(0, Math.min(2, n - 2 * i - 1)),
      maxChildren: 2, corruptBlocks: 0, resumedBytes: 0, maxQueuedBytes: 0,
    }));
    const r: BoardReport = { index: i, files };
    over(r);
    reports.push(r);
  }
  return { elapsedMs: 5000, nodeIds: reports.map((r) => id(r.index)), reports, files: FILES.map((name) => ({ name, size: SIZE })), originBytes: SIZE * 5, mode: 'pfs' };
}

test('16 boards on an 80 x 24 terminal: the view fits, levels fold into "+N more"', () => {
  const lines = createLabView('pfs lab — 16 boards')(fleet(16), 80, 23);
  assert.ok(lines.length <= 23, `${lines.length} lines`);
  for (const l of lines) assert.ok([...l].length <= 80, `too wide: ${l}`);
  assert.ok(lines.some((l) => /\+\d+ more/.test(l)), lines.join('\n'));
  assert.match(lines[0]!, /0\/16 boards verified/);
  assert.match(lines[lines.length - 1]!, /^ {2}\S{16}$/, 'the board grid is kept');
  // A tall terminal shows every level of every tree.
  const tall = createLabView('t')(fleet(16), 200, 200);
  assert.is(tall.filter((l) => /^ {3}3 /.test(l)).length, FILES.length, 'depth 3 of each file');
  assert.not.ok(tall.some((l) => /more/.test(l)));
});

test('the lab tree is the one pfs tree draws: root, parents, children', () => {
  const s = labTree(fleet(7));
  assert.is(s.hierarchies.length, FILES.length);
  const h = s.hierarchies[0]!;
  assert.is(h.root?.id, 'XID080027F8');
  assert.equal(h.boards.find((b) => b.id === 'XID080027F9')!.children, ['XID080027FB', 'XID080027FC']);
  assert.is(h.boards.find((b) => b.id === 'XID080027FE')!.parent, 'XID080027FA');
});

test('regression: the live count counts a board when it commits, not when it is done serving (the summary counts the commit)', () => {
  const p = fleet(4, (r) => {
    if (r.index < 2) r.committedMs = 4000; // committed, still up for its children
  });
  assert.is(verifiedCount(p), 2);
  assert.match(createLabView('t')(p, 100, 30)[0]!, /2\/4 boards verified/);
});

test('a 4-board lab: the live view shows every board verified within half a second of the summary\'s fleet time', async () => {
  const first = await freePortRange(5);
  let allAt = Infinity;
  const log = createLogger('TEST', { level: 'ERR', sinks: [] });
  const s = await runLab(
    {
      boards: 4, size: 1 << 20, files: 2, mode: 'pfs', forward: 'cut', wanRate: 20e6, wanRttMs: 40, wanLoss: 0, tftpBlksize: 1468, tftpWindow: 32,
      perProcess: 0, portBase: first + 1, broadcast: { addr: '127.255.255.255', port: first }, model: 'CP-7961G', logLevel: 'ERR', keep: false,
      timeoutMs: 60_000, engine: false, models: [{ model: 'CP-7961G', count: 4 }], pfsOff: 0, boardsDir: 'boards',
      onProgress: (p) => {
        if (verifiedCount(p) === 4) allAt = Math.min(allAt, p.elapsedMs);
      },
    },
    log,
  );
  assert.ok(s.allVerified, s.failures.join('; '));
  // Progress comes every 200 ms; before, the count waited for each root's linger (5 s).
  assert.ok(allAt / 1000 <= s.fleetSeconds + 0.5, `4/4 shown at ${(allAt / 1000).toFixed(1)} s, the summary says ${s.fleetSeconds.toFixed(2)} s`);
});

test.run();
