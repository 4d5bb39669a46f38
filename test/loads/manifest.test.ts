import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { generateKeyPairSync, createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeys, loadTrust } from '../../src/loads/keys';
import { packLoad } from '../../src/loads/pack';
import { encodeSignedManifest, openSignedManifest, ManifestError, type LoadManifest } from '../../src/loads/manifest';
import { seededBytes } from '../../src/lab/firmware';
import { blockHashes } from '../../src/dload/integrity';

async function workspace() {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-loads-'));
  await mkdir(join(dir, 'trust'));
  await mkdir(join(dir, 'build'));
  const k = await generateKeys(join(dir, 'site'));
  await copyFile(k.publicPath, join(dir, 'trust', 'site.pub.pem'));
  return { dir, key: k.privatePath, trust: join(dir, 'trust'), close: () => rm(dir, { recursive: true, force: true }) };
}

const code = (c: string) => (e: unknown) => e instanceof ManifestError && e.code === c;

test('pack then open with the board trust folder gives back the components and their block hashes', async () => {
  const w = await workspace();
  try {
    const a = seededBytes('a', 200_000);
    const b = seededBytes('b', 65_536);
    await writeFile(join(w.dir, 'build', 'apps41.sbn'), a);
    await writeFile(join(w.dir, 'build', 'cnu41.sbn'), b);
    const r = await packLoad({ load: 'SCCP41.9-4-2SR2-2S', model: 'CP-7961G', keyPath: w.key, outDir: join(w.dir, 'out'), files: [join(w.dir, 'build', 'apps41.sbn'), join(w.dir, 'build', 'cnu41.sbn')] });
    const bytes = await readFile(r.manifestPath);
    assert.is(r.size, bytes.length);
    assert.is(r.sha256, createHash('sha256').update(bytes).digest('hex'));
    const m = openSignedManifest(bytes, await loadTrust(w.trust), 'test');
    assert.equal([m.load, m.model, m.files.map((f) => f.name)], ['SCCP41.9-4-2SR2-2S', 'CP-7961G', ['apps41.sbn', 'cnu41.sbn']]);
    assert.equal(m.files[0]!.blocks, blockHashes(a).map((h) => h.toString('hex')));
    assert.ok((await readFile(join(w.dir, 'out', 'apps41.sbn'))).equals(a), 'component copied beside the manifest');
  } finally {
    await w.close();
  }
});

test('changing any byte of a signed manifest gets it refused', async () => {
  const w = await workspace();
  try {
    await writeFile(join(w.dir, 'build', 'x.sbn'), seededBytes('x', 1000));
    const r = await packLoad({ load: 'L1', model: 'CP-7941G', keyPath: w.key, outDir: join(w.dir, 'out'), files: [join(w.dir, 'build', 'x.sbn')], created: '2026-01-01T00:00:00Z' });
    const good = await readFile(r.manifestPath);
    const trust = await loadTrust(w.trust);
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] = bad[i]! ^ 0x01;
      assert.throws(() => openSignedManifest(bad, trust, 'peer'), (e: unknown) => e instanceof ManifestError, `byte ${i} flipped was accepted`);
    }
  } finally {
    await w.close();
  }
});

test('unsigned, untrusted and garbage manifests give their own error codes', async () => {
  const w = await workspace();
  try {
    const trust = await loadTrust(w.trust);
    const m: LoadManifest = { format: 'pfs-load/1', load: 'L', model: 'CP-7961G', created: 'x', files: [{ name: 'a.sbn', size: 1, blockSize: 65536, sha256: 'a'.repeat(64), blocks: ['b'.repeat(64)] }] };
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const signedByStranger = encodeSignedManifest(m, stranger);
    assert.throws(() => openSignedManifest(signedByStranger, trust, 'peer'), (e: unknown) => code('PFS_ERR_MANIFEST_SIGNATURE')(e) && /not in the board's trust/.test((e as Error).message));
    const unsigned = signedByStranger.subarray(0, signedByStranger.indexOf('-----PFS-SIGNATURE'));
    assert.throws(() => openSignedManifest(unsigned, trust, 'peer'), code('PFS_ERR_MANIFEST_UNSIGNED'));
    assert.throws(() => openSignedManifest(Buffer.from('\x00\x01garbage'), trust, 'peer'), code('PFS_ERR_MANIFEST_UNSIGNED'));
    const truncated = signedByStranger.subarray(0, signedByStranger.length - 10);
    assert.throws(() => openSignedManifest(truncated, trust, 'peer'), (e: unknown) => e instanceof ManifestError);
    // Signed by a trusted key, but wrong inside: still refused.
    const own = (await import('../../src/loads/keys')).readPrivateKey(w.key);
    const badFields = encodeSignedManifest({ ...m, files: [{ ...m.files[0]!, name: '../etc/passwd' }] }, await own);
    assert.throws(() => openSignedManifest(badFields, trust, 'peer'), code('PFS_ERR_MANIFEST_MALFORMED'));
    const badCount = encodeSignedManifest({ ...m, files: [{ ...m.files[0]!, size: 70000 }] }, await own);
    assert.throws(() => openSignedManifest(badCount, trust, 'peer'), code('PFS_ERR_MANIFEST_MALFORMED'));
  } finally {
    await w.close();
  }
});

test('the same load and key give the same bytes; keygen never overwrites and keeps the private key 0600', async () => {
  const w = await workspace();
  try {
    await writeFile(join(w.dir, 'build', 'x.sbn'), seededBytes('x', 5000));
    const args = { load: 'L1', model: 'CP-7961G', keyPath: w.key, files: [join(w.dir, 'build', 'x.sbn')], created: '2026-01-01T00:00:00Z' };
    const one = await readFile((await packLoad({ ...args, outDir: join(w.dir, 'o1') })).manifestPath);
    const two = await readFile((await packLoad({ ...args, outDir: join(w.dir, 'o2') })).manifestPath);
    assert.ok(one.equals(two));
    assert.is((await stat(w.key)).mode & 0o777, 0o600);
    let refused = false;
    await generateKeys(join(w.dir, 'site')).catch((e: Error) => (refused = /already exists/.test(e.message)));
    assert.ok(refused, 'keygen refused to overwrite');
  } finally {
    await w.close();
  }
});

test('pack hashes a large component as a stream, block by block', async () => {
  const w = await workspace();
  try {
    const big = seededBytes('big', 20 << 20);
    await writeFile(join(w.dir, 'build', 'jar41.sbn'), big);
    const r = await packLoad({ load: 'L2', model: 'CP-7961G', keyPath: w.key, outDir: join(w.dir, 'build'), files: [join(w.dir, 'build', 'jar41.sbn')] });
    assert.equal(r.manifest.files[0]!.blocks, blockHashes(big).map((h) => h.toString('hex')));
    assert.is(r.manifest.files[0]!.sha256, createHash('sha256').update(big).digest('hex'));
  } finally {
    await w.close();
  }
});

test.run();
