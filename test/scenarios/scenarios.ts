// Every DLoad scenario, written once against the Site driver and run against each
// shell (sim.test.ts, sockets.test.ts). The assertions are the same in both: the
// boards that survive are verified (or failed with the expected code), each model's
// file crosses the WAN as often as it should, no board serves more than 2 children,
// corrupt blocks are caught.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { STREAM_STATUS } from '../../src/dload/wire';
import { DEFAULT_TIMERS } from '../../src/dload/types';
import { BLOCK_BYTES as BLOCK, FILE_BYTES, type Outcome, type Shell, type Site, type SiteSpec } from './shell';

export interface Scenario {
  readonly name: string;
  readonly spec: SiteSpec;
  run(site: Site): Promise<void>;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function startAll(site: Site, n: number): Promise<void> {
  for (const i of range(n)) await site.start(i);
}

/** The first board (index) whose status satisfies `pick`, once one does. */
async function findBoard(site: Site, n: number, what: string, pick: (s: NonNullable<ReturnType<Site['status']>>) => boolean): Promise<number> {
  let found = -1;
  await site.until(() => {
    found = range(n).findIndex((i) => {
      const s = site.status(i);
      return s !== undefined && pick(s);
    });
    return found >= 0;
  }, what);
  return found;
}

const midFile = (v: number) => v > FILE_BYTES / 4 && v < (FILE_BYTES * 3) / 4;

function verified(outcomes: Outcome[], except: readonly number[] = []): void {
  for (const o of outcomes) {
    if (except.includes(o.board)) continue;
    assert.is(o.state, 'verified', `board ${o.board}: ${o.state}${o.code ? ` (${o.code})` : ''}`);
    assert.is(o.flashVerifiedBytes, FILE_BYTES, `board ${o.board}: every block on flash matches its hash`);
    assert.is(o.flashBytes, FILE_BYTES, `board ${o.board}: nothing more on flash`);
  }
}

function treeBounded(site: Site, n: number): void {
  for (const i of range(n)) {
    const s = site.status(i);
    if (s) assert.ok(s.maxChildren <= 2, `board ${i} served ${s.maxChildren} children at once`);
  }
}

function oneWanCopy(site: Site, model = 0): void {
  assert.is(site.wanBytes(model), FILE_BYTES, `model ${model}: the origin sent one copy`);
}

export const scenarios: Scenario[] = [
  {
    name: 'parent killed mid-file: its children resume under another parent, one WAN copy',
    spec: { boards: 7 },
    async run(site) {
      await startAll(site, 7);
      const victim = await findBoard(site, 7, 'a parent mid-file', (s) => s.role === 'member' && s.children > 0 && midFile(s.verifiedBytes));
      await site.kill(victim);
      const out = await site.settle();
      verified(out, [victim]);
      oneWanCopy(site);
      treeBounded(site, 7);
    },
  },
  {
    name: 'root killed mid-file: one new root, every survivor verified',
    spec: { boards: 5 },
    async run(site) {
      await startAll(site, 5);
      const root = await findBoard(site, 5, 'the root mid-file', (s) => s.role === 'root' && midFile(s.verifiedBytes));
      await site.kill(root);
      const out = await site.settle();
      verified(out, [root]);
      const roots = range(5).filter((i) => i !== root && site.status(i)!.role === 'root');
      assert.is(roots.length, 1, `one new root (${roots.join(', ')})`);
      // The new root takes what it lacks from the origin (over TFTP, which cannot
      // seek, it reads its held prefix again): more than one copy, less than two.
      const wan = site.wanBytes(0);
      assert.ok(wan >= FILE_BYTES && wan < 2 * FILE_BYTES, `origin sent ${wan}`);
      treeBounded(site, 5);
    },
  },
  {
    name: 'corrupt parent: its bad blocks are caught, never kept, and its child finishes elsewhere',
    // Boards start one by one so the tree is known: 0 root; 1 and 2 its children;
    // 3 placed under 1 (the first with room at depth 1), which corrupts what it serves.
    spec: { boards: 4, corruptServed: [1] },
    async run(site) {
      await site.start(0);
      await site.until(() => site.status(0)?.role === 'root', 'board 0 to be root');
      for (const i of [1, 2]) {
        await site.start(i);
        await site.until(() => site.status(i)?.parentId === site.id(0), `board ${i} placed under the root`);
      }
      // Board 3's first block from board 1 may fail and move it within a millisecond:
      // what tells it was under board 1 is the corrupt block it caught.
      await site.start(3);
      const out = await site.settle();
      verified(out);
      assert.ok(site.status(3)!.corruptBlocks >= 1, 'board 3 caught a corrupt block from board 1');
      assert.is.not(site.status(3)!.parentId, site.id(1), 'board 3 left board 1');
      oneWanCopy(site);
      treeBounded(site, 4);
    },
  },
  {
    name: 'root that corrupts what it serves (issue 13 D2): its members leave it for another root and verify, two WAN copies at most',
    spec: { boards: 4, corruptServed: [0] },
    async run(site) {
      await site.start(0);
      await site.until(() => site.status(0)?.role === 'root', 'board 0 to be root');
      for (const i of [1, 2, 3]) await site.start(i);
      const out = await site.settle();
      verified(out);
      assert.ok([1, 2, 3].some((i) => site.status(i)!.corruptBlocks >= 1), 'a member caught a corrupt block from the root');
      assert.ok([1, 2, 3].some((i) => site.status(i)!.role === 'root'), 'another board became root');
      const wan = site.wanBytes(0);
      // The corrupting root's copy and one more, or less: the root that corrupts may
      // yield midway to the new root once that one holds more (its rank is ahead).
      assert.ok(wan > FILE_BYTES + BLOCK && wan <= 2 * FILE_BYTES, `origin sent ${wan}: the corrupting root's copy (or part of it) and one more`);
      treeBounded(site, 4);
    },
  },
  {
    name: 'a fake root that outranks every board and answers nothing (issue 13 D4): boards leave it after unansweredMs and finish, one WAN copy',
    spec: { boards: 5 },
    async run(site) {
      // held = the file's size: the most a real board may claim (more is dropped at once).
      await site.fakeRoot(FILE_BYTES);
      await startAll(site, 5);
      // Before issue 13 the boards followed it for as long as it advertised.
      const out = await site.settle(DEFAULT_TIMERS.unansweredMs + 10_000);
      verified(out);
      oneWanCopy(site);
      treeBounded(site, 5);
    },
  },
  {
    name: 'a forged BadParent naming every board, from strangers, then a parent killed (issue 13 D1): its children are placed again, every survivor finishes',
    spec: { boards: 7 },
    async run(site) {
      await startAll(site, 7);
      const root = await findBoard(site, 7, 'the root early in the file', (s) => s.role === 'root' && s.verifiedBytes < FILE_BYTES / 2);
      await site.until(() => range(7).every((i) => i === root || site.status(i)!.parentId !== null), 'every member placed');
      await site.forgeBadParents(root, range(7).filter((i) => i !== root));
      // Before issue 13 every board was now "never a parent again": the killed parent's
      // children found no place, and their reports went unanswered for good.
      const victim = await findBoard(site, 7, 'a parent still fetching', (s) => s.role === 'member' && s.children > 0 && !s.complete);
      await site.kill(victim);
      const out = await site.settle();
      verified(out, [victim]);
      oneWanCopy(site);
      treeBounded(site, 7);
    },
  },
  {
    name: 'a spoofed ParentAssigned to a parent that never sends (issue 13 D3): the board drops it after stallMs and finishes',
    spec: { boards: 4 },
    async run(site) {
      await startAll(site, 4);
      const victim = await findBoard(site, 4, 'a member early in the file', (s) => s.role === 'member' && s.parentId !== null && s.verifiedBytes < FILE_BYTES / 2);
      await site.spoofStallingParent(victim);
      await site.until(() => site.status(victim)!.parentId === 0xdead0001, 'the victim to take the stalling parent', 2000);
      // Before issue 13 the board waited on that socket for good (80 s in the field).
      const out = await site.settle(DEFAULT_TIMERS.stallMs * 1.5 + 5000);
      verified(out);
      assert.is.not(site.status(victim)!.parentId, 0xdead0001);
      oneWanCopy(site);
      treeBounded(site, 4);
    },
  },
  {
    name: 'a child refused: BUSY from a board with 2 children, BAD_OFFSET off a block boundary',
    spec: { boards: 5 },
    async run(site) {
      await startAll(site, 5);
      // Early in the file, so its children are still being served when the probe lands.
      const full = await findBoard(site, 5, 'a board serving 2 children', (s) => s.children === 2 && s.verifiedBytes < FILE_BYTES / 2);
      assert.is(await site.probe(full, 0), STREAM_STATUS.BUSY, 'a third child is refused BUSY');
      assert.is(await site.probe(full, 1000), STREAM_STATUS.BAD_OFFSET, 'an offset inside a block is refused');
      const out = await site.settle();
      verified(out);
      oneWanCopy(site);
      treeBounded(site, 5);
    },
  },
  {
    name: 'origin serving a file that fails its hashes: every board gives up with PFS_ERR_ORIGIN_CORRUPT, none keeps a byte',
    spec: { boards: 3, originCorrupt: true },
    async run(site) {
      await startAll(site, 3);
      const out = await site.settle();
      for (const o of out) {
        assert.is(o.state, 'failed', `board ${o.board}`);
        assert.is(o.code, 'PFS_ERR_ORIGIN_CORRUPT', `board ${o.board}`);
        assert.is(o.flashBytes, 0, `board ${o.board}: nothing unverified on flash`);
        const s = site.status(o.board)!;
        assert.is(s.role, 'failed');
        assert.ok(s.corruptBlocks >= 3, `board ${o.board} saw its own ${s.corruptBlocks} corrupt origin blocks`);
      }
    },
  },
  {
    name: 'two models at once: separate hierarchies, one WAN copy per model',
    spec: { boards: 6, models: 2 },
    async run(site) {
      await startAll(site, 6);
      const out = await site.settle();
      verified(out);
      for (const m of [0, 1]) {
        oneWanCopy(site, m);
        const mine = range(6).filter((i) => i % 2 === m);
        const roots = mine.filter((i) => site.status(i)!.role === 'root');
        assert.is(roots.length, 1, `model ${m}: one root`);
        for (const i of mine) assert.is(site.status(i)!.rootId, site.id(roots[0]!), `board ${i} follows its own model's root`);
      }
      treeBounded(site, 6);
    },
  },
  {
    name: 'late joiner: boards that start after the others finished take the file from them, not the WAN',
    spec: { boards: 5 },
    async run(site) {
      await startAll(site, 3);
      await site.until(() => [0, 1, 2].every((i) => site.status(i)?.complete), 'the first 3 boards complete');
      const root = [0, 1, 2].find((i) => site.status(i)!.role === 'root')!;
      await site.start(3);
      await site.start(4);
      const out = await site.settle();
      verified(out);
      oneWanCopy(site);
      for (const i of [3, 4]) assert.is(site.status(i)!.rootId, site.id(root), `late board ${i} joined the running hierarchy`);
      treeBounded(site, 5);
    },
  },
  {
    name: 'resume after restart: the board keeps its verified prefix and fetches only the rest',
    spec: { boards: 4 },
    async run(site) {
      await startAll(site, 4);
      const victim = await findBoard(site, 4, 'a member mid-file', (s) => s.role === 'member' && s.parentId !== null && midFile(s.verifiedBytes));
      const held = site.status(victim)!.verifiedBytes;
      await site.kill(victim);
      await site.restart(victim);
      const s = site.status(victim)!;
      assert.ok(s.resumedBytes >= held && s.resumedBytes < FILE_BYTES, `resumed ${s.resumedBytes} bytes, held ${held} when killed`);
      const out = await site.settle();
      verified(out);
      assert.is(site.status(victim)!.resumedBytes, s.resumedBytes);
      assert.is(site.fetchedBytes(victim), FILE_BYTES - s.resumedBytes, 'only the rest was fetched');
      oneWanCopy(site);
      treeBounded(site, 4);
    },
  },
];

/** Registers every scenario as a test named `${label}: ${scenario}`, each on a site of its own from `shell`. */
export function testScenarios(label: string, shell: Shell): void {
  for (const sc of scenarios) {
    test(`${label}: ${sc.name}`, async () => {
      const site = await shell.open(sc.spec);
      try {
        await sc.run(site);
      } finally {
        await site.close();
      }
    });
  }
}
