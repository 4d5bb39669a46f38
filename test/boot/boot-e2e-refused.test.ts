// End-to-end boot, what a board refuses: a tampered component or manifest, a bad
// model, a missing configuration; nothing is committed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT } from '../../src/boot/boot';
import { DirFlash } from '../../src/hal/flash/dir';
import { activeFiles, site } from './e2e-site';

test('a tampered component on the origin is refused by every board and nothing is committed', async () => {
  const t = await site({ models: [['CP-7961G', 3]] });
  try {
    const victim = join(t.s.originDir, t.s.componentNames[1]!);
    const bytes = await readFile(victim);
    bytes[bytes.length >> 1]! ^= 0x55;
    await writeFile(victim, bytes);
    const results = await Promise.all(t.s.boards.map((_, i) => t.boot(i, { upgradeTimeoutMs: 12_000 })));
    assert.equal(results.map((r) => r.exit), [EXIT.FAILED, EXIT.FAILED, EXIT.FAILED]);
    for (const b of t.s.boards) assert.match(String(await activeFiles(b.root)), /^SCCP41\.9-3-1SR1-1S$/);
    assert.ok([...t.logs.values()].flat().some((l) => /does not match its SHA-256/.test(l)));
  } finally {
    await t.close();
  }
});

test('a tampered manifest is rejected with a clear line and nothing is written to flash', async () => {
  const t = await site({ models: [['CP-7961G', 1]] });
  try {
    const load = t.s.loads.get('CP-7961G')!;
    const m = await readFile(join(t.s.originDir, `${load}.loads`), 'utf8');
    await writeFile(join(t.s.originDir, `${load}.loads`), m.replace('"size": ', '"size": 1'));
    // Without the digest in the config the board fetches the manifest itself and checks the signature.
    const xml = await readFile(join(t.s.originDir, 'XMLDefault.cnf.xml'), 'utf8');
    await writeFile(join(t.s.originDir, 'XMLDefault.cnf.xml'), xml.replace(/\s*<pfsLoad[^>]*>[^<]*<\/pfsLoad>/g, ''));
    const r = await t.boot(0);
    assert.is(r.exit, EXIT.FAILED);
    const lines = t.logs.get(0)!;
    assert.ok(lines.some((l) => /ERR .*signature .* does not match: the manifest was changed after signing/.test(l)), lines.join('\n'));
    const f = new DirFlash(join(t.s.boards[0]!.root, 'flash'));
    await f.open();
    assert.is(await f.activeLoad(), 'SCCP41.9-3-1SR1-1S');
  } finally {
    await t.close();
  }
});

test('bad model selection and a missing configuration give the specified errors', async () => {
  const t = await site({ models: [['CP-7961G', 1]] });
  try {
    const r = await t.boot(0, { model: 'CP-7999G' });
    assert.is(r.exit, EXIT.NO_MODEL);
    assert.ok(t.logs.get(0)!.some((l) => /^ERR .* unknown model "CP-7999G" \(from --model\): valid models: CP-7906G, /.test(l)));
    await rm(join(t.s.originDir, 'XMLDefault.cnf.xml'));
    const r2 = await t.boot(0);
    assert.is(r2.exit, EXIT.FAILED);
    const lines = t.logs.get(0)!;
    assert.ok(lines.some((l) => /LED \S+: error/.test(l)), 'the LED says error');
    assert.ok(lines.some((l) => /^ERR .* configuration: .*XMLDefault\.cnf\.xml.*retrying in 1\.0 s, staying on the current load/.test(l)), lines.join('\n'));
  } finally {
    await t.close();
  }
});

test.run();
