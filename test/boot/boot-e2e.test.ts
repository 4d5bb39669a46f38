// End-to-end boot, peer sharing: boards of two models upgrade through their peers,
// and a board whose device setting turns PFS off goes straight to TFTP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModels } from '../../src/profiles';
import { EXIT } from '../../src/boot/boot';
import { activeFiles, showsComplete, site } from './e2e-site';

test('a mixed fleet (4 x CP-7961G, 2 x CP-7941G) upgrades by peer sharing: one copy per model crosses the WAN', async () => {
  const t = await site({ models: [['CP-7961G', 4], ['CP-7941G', 2]] });
  try {
    const results = await Promise.all(t.s.boards.map((_, i) => t.boot(i)));
    assert.equal(results.map((r) => r.exit), t.s.boards.map(() => EXIT.REBOOT), [...t.logs.values()].map((l) => l.filter((x) => x.startsWith('ERR')).join('\n')).join('\n'));
    // Six boards on one address: the origin takes them as six hosts (a CI run failed a board that was
    // refused twice, "8 transfers to 127.0.0.1 already running", its configuration tries used up).
    const busy = [...t.logs.values()].flat().filter((l) => l.includes('server busy'));
    assert.equal(busy, [], 'the origin refused boards as one busy host');
    for (const b of t.s.boards) {
      assert.is(await activeFiles(b.root), t.s.loads.get(b.model));
      const slot = JSON.parse(await readFile(join(b.root, 'flash', 'state.json'), 'utf8')).active;
      for (const name of t.s.componentNames) {
        assert.ok((await readFile(join(b.root, 'flash', `slot${slot}`, name))).equals(await readFile(join(t.s.originDir, name))), `${b.mac} ${name}`);
      }
    }
    for (const name of t.s.componentNames) {
      const size = (await readFile(join(t.s.originDir, name))).length;
      // On a failure, what a reader needs: who took the file from the origin and when, and who was root of it.
      const copies = t.server.stats.bytesByFile.get(name);
      if (copies !== 2 * size) assert.is(copies, 2 * size, `${name}: one copy per model\n${t.whyCopies(name)}`);
    }
    const models = await loadModels('boards');
    for (const [i, b] of t.s.boards.entries()) {
      const files = await Promise.all(t.s.componentNames.map(async (name) => ({ name, size: (await readFile(join(t.s.originDir, name))).length })));
      const wrong = await showsComplete(b.root, models.get(b.model)!, t.s.loads.get(b.model)!, files);
      assert.not.ok(wrong, `${b.mac}: ${wrong}`);
      // The sim board's terminal LEDs: one line per change, from idle through the download to done.
      const leds = t.logs.get(i)!.flatMap((l) => /LED \S+: (\w+)/.exec(l)?.[1] ?? []);
      assert.is(leds[0], 'idle', leds.join(' '));
      assert.ok(leds.includes('downloading'), leds.join(' '));
      assert.is(leds.at(-1), 'done', leds.join(' '));
      for (let k = 1; k < leds.length; k++) assert.is.not(leds[k], leds[k - 1], 'a line per change, not per blink');
    }
    const roots = [...t.logs.values()].flat().filter((l) => l.includes('@@@HROOT:'));
    assert.ok(roots.some((l) => l.includes('m=CP-7941G')) && roots.some((l) => l.includes('m=CP-7961G')), 'each model had its own roots');
  } finally {
    await t.close();
  }
});

test('boards whose device setting turns PFS off go straight to TFTP while the enterprise enables it', async () => {
  const t = await site({ models: [['CP-7961G', 4]], pfsOff: 1 });
  try {
    const results = await Promise.all(t.s.boards.map((_, i) => t.boot(i)));
    assert.equal(results.map((r) => r.exit), [EXIT.REBOOT, EXIT.REBOOT, EXIT.REBOOT, EXIT.REBOOT]);
    const off = t.logs.get(0)!;
    assert.ok(off.some((l) => l.includes('Peer Firmware Sharing disabled (device setting): plain TFTP upgrade')), off.join('\n'));
    assert.not.ok(off.some((l) => l.includes('ClaimRoot')), 'the PFS-off board never advertised');
    assert.ok(t.logs.get(1)!.some((l) => l.includes('Peer Firmware Sharing enabled (enterprise setting)')));
    for (const name of t.s.componentNames) {
      const size = (await readFile(join(t.s.originDir, name))).length;
      const copies = t.server.stats.bytesByFile.get(name);
      if (copies !== 2 * size) assert.is(copies, 2 * size, `${name}: the peers' copy plus the PFS-off board's own\n${t.whyCopies(name)}`);
    }
  } finally {
    await t.close();
  }
});

test.run();
