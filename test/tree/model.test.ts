import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hierarchyKey } from '../../src/dload/key';
import type { StatusReply } from '../../src/dload/wire';
import { GONE_MS, STUCK_MS, SILENT_MS, TreeModel } from '../../src/tree/model';
import { renderTree } from '../../src/tree/render';

const key = hierarchyKey('CP-7961G', 'apps41.sbn');
const ROOT = 0x080027f8;
const at = (i: number) => ({ addr: `192.0.2.${i}`, port: 4051 });

function reply(sender: number, over: Partial<StatusReply>): StatusReply {
  return {
    type: 'StatusReply', key, sender, nonce: 1, role: 'member', complete: false, depth: 1, children: 0, size: 1 << 20, held: 0, parentId: ROOT,
    rootId: ROOT, rootAddr: '192.0.2.1', rootForMs: -1, failure: '', model: 'CP-7961G', file: 'apps41.sbn', members: 0, first: 0, entries: [], ...over,
  };
}

/** A root with members 1..n in its tracker (member i under (i-1)/2 when i > 2, else under the root). */
function rooted(m: TreeModel, now: number, n: number): void {
  const entries = Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return { id: ROOT + i, parentId: i <= 2 ? ROOT : ROOT + ((i - 1) >> 1), addr: at(10 + i).addr, port: 4051, depth: i <= 2 ? 1 : 2, bad: false };
  });
  m.reply(now, at(1), reply(ROOT, { role: 'root', depth: 0, parentId: 0, rootForMs: 1500, members: n, entries, held: 1 << 19 }));
}

test('a root\'s answer gives the hierarchy: file, root, HROOT time, each member where the tracker put it', () => {
  const m = new TreeModel();
  rooted(m, 10_000, 4);
  const [h] = m.snapshot(10_000).hierarchies;
  assert.is(h!.file, 'apps41.sbn');
  assert.equal(h!.root, { id: 'XID080027F8', addr: '192.0.2.1', hrootAt: 8500 });
  assert.equal(h!.boards.map((b) => b.id), ['XID080027F8', 'XID080027F9', 'XID080027FA', 'XID080027FB', 'XID080027FC']);
  assert.equal(h!.boards[0]!.children, ['XID080027F9', 'XID080027FA']);
  assert.is(h!.boards.find((b) => b.id === 'XID080027FC')!.parent, 'XID080027F9');
  // Members that have not answered themselves yet are silent, not fine.
  assert.is(h!.boards[1]!.state, 'silent');
});

test('each board\'s own answer: its parent, its rate, and orphaned, stuck, failed, silent', () => {
  const m = new TreeModel();
  rooted(m, 0, 4);
  m.reply(0, at(11), reply(ROOT + 1, { held: 0 }));
  m.reply(1000, at(11), reply(ROOT + 1, { held: 500_000 }));
  m.reply(1000, at(12), reply(ROOT + 2, { parentId: 0 })); // lost its parent
  m.reply(0, at(13), reply(ROOT + 3, { parentId: ROOT + 1, depth: 2, held: 1000 }));
  m.reply(1000, at(14), reply(ROOT + 4, { role: 'failed', parentId: 0, failure: 'PFS_ERR_FLASH_WRITE' }));
  rooted(m, 1000, 4);
  let s = m.snapshot(1000);
  const by = (id: number) => s.hierarchies[0]!.boards.find((b) => b.id === `XID${(ROOT + id).toString(16).toUpperCase().padStart(8, '0')}`)!;
  assert.is(by(1).state, 'downloading');
  assert.is(by(1).rate, 500_000);
  assert.is(by(2).state, 'orphaned');
  assert.is(by(4).state, 'failed');
  assert.is(by(4).failure, 'PFS_ERR_FLASH_WRITE');
  const text = renderTree(s, 100, 50).join('\n');
  assert.match(text, /XID080027FC gave up: PFS_ERR_FLASH_WRITE/);
  assert.match(text, /orphaned \(no parent\): 27FA/);
  m.reply(STUCK_MS + 500, at(13), reply(ROOT + 3, { parentId: ROOT + 1, depth: 2, held: 1000 }));
  s = m.snapshot(STUCK_MS + 500);
  assert.is(by(3).state, 'stuck', 'no progress for longer than STUCK_MS');
  assert.is(by(1).state, 'silent', `no answer for longer than ${SILENT_MS} ms`);
  assert.match(renderTree(s, 100, 50).join('\n'), /stuck \(no progress\): 27FB/);
});

test('a board that had the whole file and went quiet rebooted into its new load: complete, not silent, and no longer serving', () => {
  const m = new TreeModel();
  rooted(m, 0, 4);
  m.reply(0, at(11), reply(ROOT + 1, { complete: true, held: 1 << 20, parentId: 0, children: 2 }));
  m.reply(0, at(13), reply(ROOT + 3, { parentId: ROOT + 1, depth: 2, held: 1000 }));
  const by = (s: ReturnType<TreeModel['snapshot']>, id: number) => s.hierarchies[0]!.boards.find((b) => b.id === `XID${(ROOT + id).toString(16).toUpperCase().padStart(8, '0')}`)!;
  assert.is(by(m.snapshot(1000), 1).state, 'serving', 'complete, its children below it, answering');
  const later = m.snapshot(SILENT_MS + 1000);
  assert.is(by(later, 1).state, 'complete', 'quiet after it had the file: rebooted, done');
  assert.is(by(later, 3).state, 'silent', 'quiet mid-file: that is a problem to show');
  const silent = renderTree(later, 100, 50).join('\n').match(/silent \(no answer\):([^\n]*)/)?.[1] ?? '';
  assert.ok(silent.includes('27FB') && !silent.includes('27F9'), `silent: ${silent}`);
});

test('a hierarchy nothing was heard of for GONE_MS leaves the view', () => {
  const m = new TreeModel();
  rooted(m, 0, 2);
  assert.is(m.snapshot(GONE_MS).hierarchies.length, 1);
  assert.is(m.snapshot(GONE_MS + 1).hierarchies.length, 0);
});

test('a tracker longer than one answer: the pages still to ask for', () => {
  const m = new TreeModel();
  m.reply(0, at(1), reply(ROOT, { role: 'root', depth: 0, parentId: 0, members: 100, entries: Array.from({ length: 48 }, (_, i) => ({ id: ROOT + 1 + i, parentId: ROOT, addr: '192.0.2.50', port: 4051, depth: 1, bad: false })) }));
  assert.equal(m.pages().map((p) => p.first), [48, 96]);
});

test('the view fits: levels fold first, then whole hierarchies; nothing wider than the terminal', () => {
  const m = new TreeModel();
  rooted(m, 0, 30);
  const all = renderTree(m.snapshot(0), 60, 100);
  assert.ok(all.every((l) => [...l].length <= 60));
  assert.ok(all.some((l) => /\+\d+ more/.test(l)), 'a level wider than 60 columns ends in +N more');
  const short = renderTree(m.snapshot(0), 60, 3);
  assert.is(short.length, 3);
  assert.ok(short.some((l) => /^ +0\.\.2 +\+31 more  .*$/.test(l)), short.join('\n'));
  assert.is(renderTree(m.snapshot(0), 60, 1).length, 1);
});

test.run();
