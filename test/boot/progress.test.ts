import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UpgradeProgress } from '../../src/boot/progress';
import type { FileStatus } from '../../src/net/peer/peer-node';

const file = (name: string, over: Partial<FileStatus>): FileStatus => ({
  name,
  role: 'listening',
  size: 1000,
  verifiedBytes: 0,
  complete: false,
  parentId: null,
  rootId: null,
  depth: 0,
  children: 0,
  maxChildren: 0,
  corruptBlocks: 0,
  resumedBytes: 0,
  maxQueuedBytes: 0,
  ...over,
});

test('a PFS upgrade: roles, bytes and children come from the peer engine as the view is read', () => {
  const p = new UpgradeProgress('CP-7961G', 'SCCP41.9-3-1SR1S');
  let status: FileStatus[] = [];
  p.attachPeers(() => status);
  p.phase('config');
  assert.is(p.view().phase, 'config');
  p.target('SCCP41.9-4-2SR2-2S', true);
  p.phase('upgrading');
  p.components([{ name: 'apps41.bin', size: 1000 }, { name: 'dsp41.bin', size: 500 }], true);
  let v = p.view();
  assert.equal(v.components.map((c) => [c.name, c.state, c.bytes]), [['apps41.bin', 'waiting', 0], ['dsp41.bin', 'waiting', 0]]);
  assert.ok(v.pfs);

  status = [
    file('apps41.bin', { role: 'root', verifiedBytes: 400, children: 2, maxChildren: 2 }),
    file('dsp41.bin', { role: 'member', size: 500, verifiedBytes: 500, complete: true, children: 1, maxChildren: 1 }),
  ];
  v = p.view();
  assert.equal(v.components.map((c) => [c.role, c.state, c.bytes, c.children]), [['root', 'downloading', 400, 2], ['parent', 'done', 500, 1]]);

  // A child that has served its children stays a parent on the screen.
  status = [file('dsp41.bin', { role: 'member', size: 500, verifiedBytes: 500, complete: true, children: 0, maxChildren: 1 })];
  assert.is(p.view().components[1]!.role, 'parent');
});

test('a direct TFTP upgrade reports its own bytes; an error keeps its reason', () => {
  const p = new UpgradeProgress('CP-7941G', null);
  p.target('SCCP41.9-4-2SR2-2S', false);
  p.components([{ name: 'apps41.bin', size: 1000 }], false);
  p.component('apps41.bin', 'downloading', 300);
  let v = p.view();
  assert.equal([v.components[0]!.role, v.components[0]!.state, v.components[0]!.bytes], ['tftp', 'downloading', 300]);
  assert.not.ok(v.pfs);
  p.component('apps41.bin', 'done');
  assert.is(p.view().components[0]!.bytes, 1000);
  p.phase('error', 'apps41.bin: block 3 does not match its hash');
  v = p.view();
  assert.is(v.phase, 'error');
  assert.is(v.error, 'apps41.bin: block 3 does not match its hash');
});

test('a view is a snapshot: changing it does not change the board', () => {
  const p = new UpgradeProgress('CP-7961G', null);
  p.components([{ name: 'a', size: 10 }], false);
  const v = p.view();
  v.components[0]!.bytes = 99;
  assert.is(p.view().components[0]!.bytes, 0);
});

test.run();
