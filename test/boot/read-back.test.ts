// Read back before commit (D11): a byte that flips on flash after its block was
// verified on the way in was committed, and the next boot called the load current.
// runUpgrade through its ports: a real TFTP server on loopback, flash that flips a
// byte of what it was given (once, or every time: a stuck bit).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { runUpgrade } from '../../src/boot/upgrade';
import type { TestMedium } from '../net/peer/media';
import { BLOCK, rig } from './upgrade-rig';

/** Flash that flips the byte at `flip.at` of component `flip.file` after writing it: `times` writes over it are spoiled. */
async function upgradeWithFlip(flip: { file: number; at: number; times: number }) {
  const r = await rig('readback');
  try {
    const target = r.files[flip.file]!;
    let spoiled = 0;
    // The write was verified before it came here; the flash keeps something else.
    const spoiling = (name: string, base: TestMedium): TestMedium => {
      if (name !== target.name) return base;
      const writev = base.writev.bind(base);
      return Object.assign(Object.create(base) as TestMedium, {
        writev: async (buffers: readonly Buffer[], position: number) => {
          const n = await writev(buffers, position);
          if (position <= flip.at && flip.at < position + n && spoiled < flip.times) {
            spoiled++;
            base.data[flip.at] = base.data[flip.at]! ^ 0x01;
          }
          return n;
        },
      });
    };
    const p = r.ports({ model: { model: 'CP-7961G', pfs: false } }, {}, spoiling);
    const out = await runUpgrade(p);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const slotMatches = sha(p.media.get(target.name)!.data.subarray(0, target.size)) === sha(await readFile(join(r.root, target.name)));
    return { out, committed: p.committed, lines: p.lines, spoiled, target, slotMatches };
  } finally {
    await r.close();
  }
}

test('regression D11: a byte flipped on flash after its block was verified is caught by the read-back and fetched again; what is committed is right', async () => {
  const r = await upgradeWithFlip({ file: 1, at: 3 * BLOCK + 100, times: 1 });
  assert.is(r.spoiled, 1, 'the flash did spoil the block');
  assert.is(r.out.kind, 'committed', JSON.stringify(r.out));
  assert.ok(r.slotMatches, 'the slot holds the right bytes');
  assert.ok(r.lines.some((l) => l.includes(`${r.target.name}: block 3 read back from slotB/${r.target.name} does not match its SHA-256: fetching it again`)), r.lines.join('\n'));
});

test('a byte that flips on flash every time it is written (a stuck bit): PFS_ERR_FLASH_READBACK naming file, block and device, nothing committed', async () => {
  const r = await upgradeWithFlip({ file: 0, at: 5 * BLOCK + 7, times: Infinity });
  assert.is(r.out.kind === 'failed' && r.out.code, 'PFS_ERR_FLASH_READBACK', JSON.stringify(r.out));
  assert.match(r.out.kind === 'failed' ? r.out.reason : '', new RegExp(`${r.target.name.replace(/\./g, '\\.')}: block 5 \\(offset ${5 * BLOCK}\\) read back from slotB/`));
  assert.equal(r.committed, [], 'nothing committed');
});

test('flash that keeps what it is given: the read-back passes and says so', async () => {
  const r = await upgradeWithFlip({ file: 0, at: 0, times: 0 });
  assert.is(r.out.kind, 'committed');
  assert.ok(r.lines.some((l) => l.includes('read back from flash: 2 components, every block matches its SHA-256')));
});

test('components read back while they downloaded are not opened again after their last byte', async () => {
  const r = await rig('readback-trailing');
  try {
    const p = r.ports({ model: { model: 'CP-7961G', pfs: false } });
    const opens = new Map<string, number>();
    const open = p.flash.openComponent.bind(p.flash);
    p.flash = { ...p.flash, openComponent: (name) => (opens.set(name, (opens.get(name) ?? 0) + 1), open(name)) };
    const out = await runUpgrade(p);
    assert.is(out.kind, 'committed', JSON.stringify(out));
    assert.ok(p.lines.some((l) => l.includes('read back from flash: 2 components, every block matches its SHA-256')), p.lines.join('\n'));
    for (const f of r.files) assert.is(opens.get(f.name), 1, `${f.name} opened ${opens.get(f.name)} times: read back after its download`);
  } finally {
    await r.close();
  }
});

test.run();
