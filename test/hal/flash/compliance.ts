// What every flash back-end must do, run against each (dir.test.ts, mem.test.ts;
// later mtd and block): js-libp2p's compliance suites, for the flash HAL.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FlashError, type Flash } from '../../../src/hal/flash/flash';
import { assertWholeLoad, COMPONENTS, install, loadContent, readAll, rejection, upgrade } from './load-content';

export interface Board {
  /** A newly opened Flash on the board's medium: a power-on. */
  power(): Promise<Flash>;
  dispose(): Promise<void>;
}

const code = (e: Error) => (e instanceof FlashError ? e.code : `not a FlashError: ${e}`);

export function flashCompliance(kind: string, blank: () => Promise<Board>): void {
  const t = suite<{ board: Board }>(`flash ${kind}`, { board: undefined as unknown as Board });
  t.before.each(async (ctx) => {
    ctx.board = await blank();
  });
  t.after.each(async (ctx) => {
    await ctx.board?.dispose();
  });

  t('a blank board boots nothing and reports no load', async ({ board }) => {
    const f = await board.power();
    assert.is(f.kind, kind);
    assert.equal(await f.boot(), { slot: null, load: null, trial: false, fellBack: false, failedLoad: null });
    assert.is(await f.activeLoad(), null);
    assert.is(await f.readActive('apps41.sbn'), null);
    assert.is((await f.status()).rejected, null);
  });

  t('install + commit switches the active load, also after a power-on', async ({ board }) => {
    const f = await board.power();
    await upgrade(f, 'L1');
    assert.is(await assertWholeLoad(f), 'L1');
    await f.markGood();
    await upgrade(f, 'L2');
    assert.is(await assertWholeLoad(f), 'L2');
    const g = await board.power();
    const sel = await g.boot();
    assert.equal([sel.load, sel.trial, sel.fellBack], ['L2', true, false]);
    assert.is(await assertWholeLoad(g), 'L2');
    const st = await g.status();
    assert.equal([st.slots[st.active!], st.slots[st.previous!]], ['L2', 'L1']);
  });

  t('a partial install never becomes active: short or missing files fail commit and change nothing', async ({ board }) => {
    const f = await board.power();
    await upgrade(f, 'L1');
    await f.markGood();
    const before = await f.status();
    const short = await rejection(async () => f.commit('L2', await install(f, 'L2', { short: 'cnu41.sbn' })));
    assert.is(code(short), 'PFS_ERR_FLASH_INCOMPLETE');
    assert.match(short.message, /cnu41\.sbn: cannot commit L2: 1000 bytes, expected \d+/);
    const missing = await rejection(async () => f.commit('L3', await install(f, 'L3', { skip: 'dsp41.sbn' })));
    assert.is(code(missing), 'PFS_ERR_FLASH_INCOMPLETE');
    assert.match(missing.message, /dsp41\.sbn: cannot commit L3: missing/);
    assert.equal(await f.status(), before);
    // Even an uncommitted load written to the last byte stays inactive through power-ons.
    await install(f, 'L4');
    for (let i = 0; i < 3; i++) {
      const g = await board.power();
      assert.is((await g.boot()).load, 'L1');
      assert.is(await assertWholeLoad(g), 'L1');
    }
  });

  t('beginInstall of the same load resumes what was written; of another load starts clean', async ({ board }) => {
    const f = await board.power();
    await f.beginInstall('L5');
    const s = await f.openComponent('apps41.sbn');
    assert.is(s.existingBytes, 0);
    await s.writev([loadContent('L5', 'apps41.sbn').subarray(0, 70_000)], 0);
    await s.sync();
    await s.close();
    const g = await board.power();
    await g.boot();
    await g.beginInstall('L5');
    const resumed = await g.openComponent('apps41.sbn');
    assert.is(resumed.existingBytes, 70_000);
    const head = Buffer.alloc(10);
    assert.is(await resumed.read(head, 0, 10, 0), 10);
    assert.ok(head.equals(loadContent('L5', 'apps41.sbn').subarray(0, 10)));
    await resumed.close();
    // The resumed install completes from there.
    await g.commit('L5', await install(g, 'L5'));
    assert.is(await assertWholeLoad(g), 'L5');
    await g.beginInstall('L6');
    const partial = await g.openComponent('apps41.sbn');
    await partial.writev([Buffer.alloc(5000, 1)], 0);
    await partial.close();
    await g.beginInstall('L7');
    const fresh = await g.openComponent('apps41.sbn');
    assert.is(fresh.existingBytes, 0);
    await fresh.close();
  });

  t('a new load that never says it came up falls back to the old one after 3 boots; markGood keeps it', async ({ board }) => {
    const f = await board.power();
    await upgrade(f, 'L1');
    await f.markGood();
    await upgrade(f, 'L2');
    const boots = [];
    for (let i = 0; i < 5; i++) boots.push(await (await board.power()).boot(3));
    assert.equal(
      boots.map((b) => [b.load, b.trial, b.fellBack, b.failedLoad]),
      [
        ['L2', true, false, null],
        ['L2', true, false, null],
        ['L2', true, false, null],
        ['L1', false, true, 'L2'],
        ['L1', false, false, null],
      ],
    );
    const g = await board.power();
    assert.is(await assertWholeLoad(g), 'L1');
    assert.equal((await g.status()).previous, null, 'the given-up slot is no fallback');
    assert.is((await g.status()).rejected, 'L2', 'the given-up load is remembered across power-ons (pfs boot does not install it again)');
    // The same load may be tried again, from scratch.
    await upgrade(g, 'L2');
    await g.boot();
    await g.markGood();
    for (let i = 0; i < 5; i++) {
      const sel = await (await board.power()).boot(3);
      assert.equal([sel.load, sel.trial, sel.fellBack], ['L2', false, false]);
    }
    assert.is((await (await board.power()).status()).rejected, 'L2', 'kept through later commits, until another load is given up');
  });

  t('maxTrials is the number of trial boots before the fallback', async ({ board }) => {
    const f = await board.power();
    await upgrade(f, 'L1');
    await f.markGood();
    await upgrade(f, 'L2');
    const loads = [];
    for (let i = 0; i < 3; i++) loads.push((await (await board.power()).boot(1)).load);
    assert.equal(loads, ['L2', 'L1', 'L1']);
    assert.is(code(await rejection(async () => (await board.power()).boot(0))), 'PFS_ERR_FLASH_SEQUENCE');
  });

  t('a first load on a blank board stays on trial with no fallback, and boots', async ({ board }) => {
    const f = await board.power();
    await upgrade(f, 'L1');
    for (let i = 0; i < 5; i++) {
      const sel = await (await board.power()).boot(3);
      assert.equal([sel.load, sel.trial, sel.fellBack], ['L1', true, false]);
    }
  });

  t('rollback goes back to the previous load now, and forth again', async ({ board }) => {
    const f = await board.power();
    assert.is(code(await rejection(() => f.rollback())), 'PFS_ERR_FLASH_NO_PREVIOUS');
    await upgrade(f, 'L1');
    await f.markGood();
    await upgrade(f, 'L2');
    await f.rollback();
    assert.is(await assertWholeLoad(f), 'L1');
    assert.equal([(await (await board.power()).boot()).load], ['L1']);
    await f.rollback();
    assert.is(await assertWholeLoad(f), 'L2');
  });

  t('installing over the fallback of a trial load leaves that load without a fallback', async ({ board }) => {
    const f = await board.power();
    await upgrade(f, 'L1');
    await f.markGood();
    await upgrade(f, 'L2');
    await f.beginInstall('L3');
    assert.is((await f.status()).previous, null);
    assert.is(code(await rejection(() => f.rollback())), 'PFS_ERR_FLASH_NO_PREVIOUS');
    assert.is(await assertWholeLoad(f), 'L2');
  });

  t('readActive serves the active load only, as committed', async ({ board }) => {
    const f = await board.power();
    await upgrade(f, 'L1');
    await install(f, 'L2');
    const r = await f.readActive('dsp41.sbn');
    assert.is(r!.size, loadContent('L1', 'dsp41.sbn').length);
    await r!.close();
    assert.ok((await readAll(f, 'dsp41.sbn'))!.equals(loadContent('L1', 'dsp41.sbn')));
    assert.is(await f.readActive('other.sbn'), null);
  });

  t('calls out of order and unsafe names fail with their codes and name the file', async ({ board }) => {
    const f = await board.power();
    const early = await rejection(() => f.openComponent('apps41.sbn'));
    assert.is(code(early), 'PFS_ERR_FLASH_SEQUENCE');
    assert.match(early.message, /apps41\.sbn/);
    await f.beginInstall('L1');
    for (const bad of ['../state.json', 'slot.json', 'installing.json', 'a/b', '']) {
      assert.is(code(await rejection(() => f.openComponent(bad))), 'PFS_ERR_FLASH_NAME', bad);
    }
    assert.is(code(await rejection(() => f.commit('L9', [{ name: COMPONENTS[0]!, size: 1 }]))), 'PFS_ERR_FLASH_SEQUENCE');
    assert.is(code(await rejection(() => f.commit('L1', []))), 'PFS_ERR_FLASH_INCOMPLETE');
    assert.is(code(await rejection(() => f.beginInstall('../x'))), 'PFS_ERR_FLASH_NAME');
  });

  t.run();
}
