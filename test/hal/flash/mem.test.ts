import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirFlash } from '../../../src/hal/flash/dir';
import { MemFs, memFlash } from '../../../src/hal/flash/mem';
import { flashCompliance } from './compliance';
import { assertSurvived, cutEverywhere, ignoringFsync, type CutRig } from './power-cut';

flashCompliance('mem', async () => {
  const fs = new MemFs();
  return {
    async power() {
      const f = memFlash(fs);
      await f.open();
      return f;
    },
    async dispose() {},
  };
});

const rig: CutRig = {
  format: async () => {},
  flash: (fs) => new DirFlash('/flash', { fs, kind: 'mem' }),
};

test('power cut at every change of two upgrades, losing any unsynced data: every power-on boots one whole load', async () => {
  assertSurvived('mem', await cutEverywhere(rig, 4));
});

test('the cut test has teeth: on a disk that ignores fsync it finds boards that boot a broken load', async () => {
  // What the test would see if the back-end skipped a sync: nothing reaches the medium before its folder does.
  const { failures } = await cutEverywhere(rig, 2, ignoringFsync);
  assert.ok(failures.length > 0, 'no cut found the missing fsync');
});

test.run();
