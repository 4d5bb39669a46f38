import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTrust } from '../../src/loads/keys';
import { packLoad } from '../../src/loads/pack';
import { hashFile } from '../../src/loads/hash-file';
import { openSignedManifest } from '../../src/loads/manifest';
import { seededBytes } from '../../src/lab/firmware';
import { blockHashes } from '../../src/dload/integrity';
import { rejection, workspace } from './helpers';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const hexList = (bs: Buffer[]) => bs.map((h) => h.toString('hex'));

test('pack, then open with the board trust folder: the components, their sizes and block hashes', async () => {
  const w = await workspace();
  try {
    const a = seededBytes('a', 200_000);
    const b = seededBytes('b', 65_536);
    const e = Buffer.alloc(0);
    await writeFile(join(w.build, 'apps41.sbn'), a);
    await writeFile(join(w.build, 'cnu41.sbn'), b);
    await writeFile(join(w.build, 'empty.sbn'), e);
    const out = join(w.dir, 'tftp');
    const r = await packLoad({ load: 'SCCP41.9-4-2SR2-2S', model: 'CP-7961G', keyPath: w.key, outDir: out, files: ['apps41.sbn', 'cnu41.sbn', 'empty.sbn'].map((n) => join(w.build, n)) });
    assert.is(r.manifestPath, join(out, 'SCCP41.9-4-2SR2-2S.loads'));
    assert.is(r.keyId, w.keyId);
    const bytes = await readFile(r.manifestPath);
    assert.is(r.size, bytes.length);
    assert.is(r.sha256, sha(bytes));
    const m = openSignedManifest(bytes, await loadTrust(w.trust), 'SCCP41.9-4-2SR2-2S.loads');
    assert.equal(m, r.manifest);
    assert.equal([m.load, m.model], ['SCCP41.9-4-2SR2-2S', 'CP-7961G']);
    assert.equal(m.files.map((f) => [f.name, f.size, f.sha256, f.blockSize]), [['apps41.sbn', 200_000, sha(a), 65536], ['cnu41.sbn', 65536, sha(b), 65536], ['empty.sbn', 0, sha(e), 65536]]);
    assert.equal(m.files.map((f) => f.blocks), [hexList(blockHashes(a)), hexList(blockHashes(b)), []]);
    assert.ok((await readFile(join(out, 'apps41.sbn'))).equals(a), 'component copied beside the manifest');
    assert.equal((await readdir(out)).sort(), ['SCCP41.9-4-2SR2-2S.loads', 'apps41.sbn', 'cnu41.sbn', 'empty.sbn'], 'no temporary files left');
    assert.ok(Date.now() - Date.parse(m.created) < 60_000, 'created defaults to now');
  } finally {
    await w.close();
  }
});

test('the same components, key and created time give byte-identical manifests; another block size is honoured', async () => {
  const w = await workspace();
  try {
    await writeFile(join(w.build, 'x.sbn'), seededBytes('x', 5000));
    const args = { load: 'L1', model: 'CP-7961G', keyPath: w.key, files: [join(w.build, 'x.sbn')], created: '2026-01-01T00:00:00.000Z' };
    const one = await packLoad({ ...args, outDir: join(w.dir, 'o1') });
    const two = await packLoad({ ...args, outDir: join(w.dir, 'o2') });
    assert.ok((await readFile(one.manifestPath)).equals(await readFile(two.manifestPath)));
    assert.equal([one.size, one.sha256], [two.size, two.sha256]);
    const small = await packLoad({ ...args, outDir: join(w.dir, 'o3'), blockSize: 1024 });
    assert.equal(small.manifest.files[0]!.blocks, hexList(blockHashes(seededBytes('x', 5000), 1024)));
  } finally {
    await w.close();
  }
});

test('pack streams a 20 MiB component: hashes equal blockHashes of the data, and packing in place copies nothing', async () => {
  const w = await workspace();
  try {
    const big = seededBytes('big', 20 << 20);
    const path = join(w.build, 'jar41.sbn');
    await writeFile(path, big);
    const ino = (await stat(path)).ino;
    const r = await packLoad({ load: 'L2', model: 'CP-7961G', keyPath: w.key, outDir: w.build, files: [path] });
    assert.equal(r.manifest.files[0]!.blocks, hexList(blockHashes(big)));
    assert.is(r.manifest.files[0]!.sha256, sha(big));
    assert.is((await stat(path)).ino, ino, 'the component in place is left as it is');
    const copied = await packLoad({ load: 'L2', model: 'CP-7961G', keyPath: w.key, outDir: join(w.dir, 'out'), files: [path] });
    assert.equal(copied.manifest.files, r.manifest.files);
    assert.is(sha(await readFile(join(w.dir, 'out', 'jar41.sbn'))), sha(big));
  } finally {
    await w.close();
  }
});

test('hashFile agrees with blockHashes at block-boundary sizes', async () => {
  const w = await workspace();
  try {
    for (const size of [0, 1, 1023, 1024, 1025, 3 * 1024, (1 << 20) + 1]) {
      const data = seededBytes(`s${size}`, size);
      await writeFile(join(w.build, 'f'), data);
      const d = await hashFile(join(w.build, 'f'), 1024);
      assert.equal([d.size, d.sha256, d.blocks], [size, sha(data), hexList(blockHashes(data, 1024))], `size ${size}`);
    }
  } finally {
    await w.close();
  }
});

test('pack refuses bad input before writing anything, naming what is wrong', async () => {
  const w = await workspace();
  try {
    await writeFile(join(w.build, 'a.sbn'), 'a');
    await writeFile(join(w.dir, 'a.sbn'), 'other a');
    const rsa = join(w.dir, 'rsa.pem');
    await writeFile(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const out = join(w.dir, 'out');
    const base = { load: 'L1', model: 'CP-7961G', keyPath: w.key, outDir: out, files: [join(w.build, 'a.sbn')] };
    const cases: [string, Parameters<typeof packLoad>[0], string, RegExp][] = [
      ['no files', { ...base, files: [] }, 'PFS_ERR_PACK', /no component files/],
      ['duplicate names', { ...base, files: [join(w.build, 'a.sbn'), join(w.dir, 'a.sbn')] }, 'PFS_ERR_PACK', /two components are named "a\.sbn"/],
      ['missing file', { ...base, files: [join(w.build, 'nope.sbn')] }, 'PFS_ERR_PACK', /nope\.sbn: no such file/],
      ['a folder as a file', { ...base, files: [w.build] }, 'PFS_ERR_PACK', /not a regular file/],
      ['load with a slash', { ...base, load: 'SCCP41/x' }, 'PFS_ERR_PACK', /load name "SCCP41\/x" must be a plain name/],
      ['load ..', { ...base, load: '..' }, 'PFS_ERR_PACK', /must be a plain name/],
      ['model with markup', { ...base, model: 'CP-7961G"/>' }, 'PFS_ERR_PACK', /model/],
      ['bad created', { ...base, created: 'today' }, 'PFS_ERR_PACK', /ISO 8601/],
      ['zero block size', { ...base, blockSize: 0 }, 'PFS_ERR_PACK', /block size/],
      ['RSA key', { ...base, keyPath: rsa }, 'PFS_ERR_KEY', /rsa\.pem: an rsa key/],
      ['public key', { ...base, keyPath: join(w.trust, 'site.pub.pem') }, 'PFS_ERR_KEY', /not a private key/],
      ['missing key', { ...base, keyPath: join(w.dir, 'none.pem') }, 'PFS_ERR_KEY', /none\.pem: cannot read/],
    ];
    for (const [what, opts, code, re] of cases) {
      const e = await rejection(packLoad(opts));
      assert.is(e.code, code, `${what}: ${e.message}`);
      assert.match(e.message, re, what);
      assert.is(await stat(out).then(() => true, () => false), false, `${what}: nothing written`);
    }
    await writeFile(join(w.build, 'L9.loads'), 'x');
    assert.match((await rejection(packLoad({ ...base, load: 'L9', files: [join(w.build, 'L9.loads')] }))).message, /manifest's own name/);
  } finally {
    await w.close();
  }
});

test.run();
