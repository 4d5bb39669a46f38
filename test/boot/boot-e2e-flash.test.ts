// End-to-end boot on partitions: boards on emulated NAND (mtd) and on block
// partitions upgrade from blank through their peers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BoardProfile } from '../../src/profiles';
import { EXIT } from '../../src/boot/boot';
import { createFlashImages, openFlash } from '../../src/hal/flash/open';
import { site } from './e2e-site';
import { readActiveFile } from '../helpers/flash';

test('boards on raw NAND (mtd, emulated on files) and on block partitions upgrade from blank through their peers', async () => {
  const t = await site({ models: [['CP-7961G', 3]] });
  const boards = join(t.dir, 'boards');
  try {
    // Two board files like sim, but with the slots on partitions instead of a folder.
    await cp('boards', boards, { recursive: true });
    const sim = JSON.parse(await readFile('boards/sim.json', 'utf8'));
    const flashOf: Record<'sim-mtd' | 'sim-block', BoardProfile['flash']> = {
      'sim-mtd': { backend: 'mtd', path: 'flash/pointer.mtd', slots: ['flash/a.mtd', 'flash/b.mtd'] },
      'sim-block': { backend: 'block', path: 'flash/pointer.img', slots: ['flash/a.img', 'flash/b.img'] },
    };
    for (const [name, flash] of Object.entries(flashOf)) await writeFile(join(boards, `${name}.json`), JSON.stringify({ ...sim, board: name, flash }));
    const kinds = ['sim-mtd', 'sim-mtd', 'sim-block'] as const;
    for (const [i, b] of t.s.boards.entries()) {
      await rm(join(b.root, 'flash'), { recursive: true, force: true });
      await createFlashImages(flashOf[kinds[i]!], { root: b.root, boardName: kinds[i]!, slotBytes: 4 << 20 });
    }
    const results = await Promise.all(t.s.boards.map((_, i) => t.boot(i, { board: kinds[i], boardsDir: boards })));
    assert.equal(results.map((r) => r.exit), [EXIT.REBOOT, EXIT.REBOOT, EXIT.REBOOT], [...t.logs.values()].flat().filter((l) => l.startsWith('ERR')).join('\n'));
    assert.ok(t.logs.get(0)!.some((l) => l.includes('running no load (blank board)')));
    for (const [i, b] of t.s.boards.entries()) {
      const flash = openFlash(flashOf[kinds[i]!], { root: b.root, boardName: kinds[i]! });
      await flash.open();
      await flash.boot();
      assert.is(await flash.activeLoad(), t.s.loads.get('CP-7961G'), kinds[i]);
      for (const name of t.s.componentNames) {
        const want = await readFile(join(t.s.originDir, name));
        const got = await readActiveFile(flash, name);
        assert.ok(got?.equals(want), `${kinds[i]} board ${i}: ${name} on flash is the origin's file`);
      }
      await flash.close?.();
    }
  } finally {
    await t.close();
  }
});

test.run();
