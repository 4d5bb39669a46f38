import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keygenCommand } from '../../src/cli/commands/keygen';
import { packCommand } from '../../src/cli/commands/pack';
import { UsageError } from '../../src/errors';
import { loadTrust } from '../../src/loads/keys';
import { openSignedManifest } from '../../src/loads/manifest';
import { seededBytes } from '../../src/lab/firmware';
import { rejection, runCaptured, workspace } from './helpers';

test('pfs keygen OUT writes the pair, prints both paths and the key id, and says where the public key goes', async () => {
  const w = await workspace();
  try {
    const out = join(w.dir, 'site-key');
    const r = await runCaptured((log) => keygenCommand.run({ argv: [out], log }));
    assert.is(r.status, 0);
    assert.is((await stat(`${out}.pem`)).mode & 0o777, 0o600);
    const id = /key id\s+([0-9a-f]{16})/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.ok(r.stdout.includes(`${out}.pem`) && r.stdout.includes(`${out}.pub.pem`), r.stdout);
    assert.match(r.stdout, /trust\/ folder of each board image/);
    await writeFile(join(w.trust, 'new.pub.pem'), await readFile(`${out}.pub.pem`));
    assert.ok((await loadTrust(w.trust)).some((k) => k.id === id), 'printed id is the id boards use');
  } finally {
    await w.close();
  }
});

test('pfs keygen: an existing key is an error (exit 1, nothing touched); bad arguments are usage errors (exit 2)', async () => {
  const w = await workspace();
  try {
    const before = await readFile(w.key);
    const e = await rejection(runCaptured((log) => keygenCommand.run({ argv: [join(w.dir, 'site')], log })));
    assert.is(e.code, 'PFS_ERR_KEY');
    assert.not.instance(e, UsageError);
    assert.ok((await readFile(w.key)).equals(before));
    for (const argv of [[], ['a', 'b'], [join(w.dir, 'k.pem')], ['--bogus', 'x']]) {
      assert.instance(await rejection(runCaptured((log) => keygenCommand.run({ argv, log }))), UsageError, argv.join(' '));
    }
    assert.is((await readdir(w.dir)).some((n) => n.startsWith('k.pem')), false);
  } finally {
    await w.close();
  }
});

test('pfs pack with a folder takes its *.sbn, writes the load and prints the <pfsLoad> element that matches the file', async () => {
  const w = await workspace();
  try {
    await writeFile(join(w.build, 'apps41.sbn'), seededBytes('a', 100_000));
    await writeFile(join(w.build, 'cnu41.sbn'), seededBytes('c', 3000));
    await writeFile(join(w.build, 'notes.txt'), 'not firmware');
    const out = join(w.dir, 'tftp');
    const argv = ['--load', 'SCCP41.9-4-2SR2-2S', '--model', 'CP-7961G', '--key', w.key, w.build, '-o', out];
    const r = await runCaptured((log) => packCommand.run({ argv, log }));
    assert.is(r.status, 0);
    assert.equal((await readdir(out)).sort(), ['SCCP41.9-4-2SR2-2S.loads', 'apps41.sbn', 'cnu41.sbn']);
    const bytes = await readFile(join(out, 'SCCP41.9-4-2SR2-2S.loads'));
    const sha = createHash('sha256').update(bytes).digest('hex');
    assert.ok(r.stdout.includes(`  <pfsLoad model="CP-7961G" size="${bytes.length}" sha256="${sha}" files="apps41.sbn cnu41.sbn">SCCP41.9-4-2SR2-2S</pfsLoad>\n`), r.stdout);
    assert.ok(r.stdout.includes('<loadInformation model="CP-7961G">SCCP41.9-4-2SR2-2S</loadInformation>'), r.stdout);
    assert.match(r.stdout, new RegExp(`signed by key ${w.keyId}`));
    assert.match(r.stdout, /apps41\.sbn\s+97\.7 KiB/);
    assert.is(openSignedManifest(bytes, await loadTrust(w.trust), 'x').files.length, 2);
  } finally {
    await w.close();
  }
});

test('pfs pack with files from the shell glob and --created gives the same bytes twice', async () => {
  const w = await workspace();
  try {
    await writeFile(join(w.build, 'a.sbn'), 'a');
    await writeFile(join(w.build, 'b.sbn'), 'b');
    const run = (out: string) =>
      runCaptured((log) => packCommand.run({ argv: ['--load', 'SCCP41.L1', '--model', 'CP-7941G', '--key', w.key, '--created', '2026-01-01T00:00:00Z', join(w.build, 'a.sbn'), join(w.build, 'b.sbn'), '--out', out], log }));
    await run(join(w.dir, 'o1'));
    await run(join(w.dir, 'o2'));
    assert.ok((await readFile(join(w.dir, 'o1', 'SCCP41.L1.loads'))).equals(await readFile(join(w.dir, 'o2', 'SCCP41.L1.loads'))));
  } finally {
    await w.close();
  }
});

test('pfs pack: bad input is a usage error naming the problem (exit 2)', async () => {
  const w = await workspace();
  try {
    await writeFile(join(w.build, 'a.sbn'), 'a');
    const a = join(w.build, 'a.sbn');
    const cases: [string[], RegExp][] = [
      [['--model', 'CP-7961G', '--key', w.key, a, '-o', w.dir], /--load is required/],
      [['--load', 'SCCP41.L', '--model', 'CP-7961G', a, '-o', w.dir], /--key is required/],
      [['--load', 'SCCP41.L', '--model', 'CP-7961G', '--key', w.key, a], /--out is required/],
      [['--load', 'SCCP41.L', '--model', 'CP-7961G', '--key', w.key, '-o', w.dir], /missing arguments/],
      [['--load', 'a/b', '--model', 'CP-7961G', '--key', w.key, a, '-o', w.dir], /must be a plain name/],
      [['--load', 'SCCP41.L', '--model', 'CP-7961G', '--key', w.key, join(w.build, 'nope.sbn'), '-o', w.dir], /nope\.sbn: no such file/],
      [['--load', 'SCCP41.L', '--model', 'CP-7961G', '--key', w.key, w.trust, '-o', w.dir], /has no \*\.sbn files/],
      [['--load', 'SCCP41.L', '--model', 'CP-7961G', '--key', join(w.trust, 'site.pub.pem'), a, '-o', w.dir], /not a private key/],
      [['--load', 'SCCP41.L', '--model', 'CP-7961G', '--key', w.key, '--created', 'soon', a, '-o', w.dir], /ISO 8601/],
      [['--load', 'SCCP41.L', '--model', 'CP-7961G', '--key', w.key, '--level', '3', a, '-o', w.dir], /unknown option --level/],
    ];
    for (const [argv, re] of cases) {
      const e = await rejection(runCaptured((log) => packCommand.run({ argv, log })));
      assert.instance(e, UsageError, argv.join(' '));
      assert.match(e.message, re, argv.join(' '));
    }
    assert.is((await readdir(w.dir)).some((n) => n.endsWith('.loads')), false);
  } finally {
    await w.close();
  }
});

test('usage texts carry an example', () => {
  assert.match(packCommand.usage, /Example:\n {2}pfs keygen site-key\n {2}pfs pack --load SCCP41\.9-4-2SR2-2S --model CP-7961G --key site-key\.pem build\/\*\.sbn -o \/srv\/tftp\//);
  assert.match(keygenCommand.usage, /Example:\n {2}pfs keygen site-key/);
});

test.run();
