import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeys, keyId, loadTrust, readPrivateKey } from '../../src/loads/keys';
import { rejection, workspace } from './helpers';
import { programPath, testWith } from '../helpers/programs';

test('keygen writes a private key only its owner can read and a public key, with the id both halves share', async () => {
  const w = await workspace();
  try {
    const k = await generateKeys(join(w.dir, 'k'));
    assert.equal([k.privatePath, k.publicPath], [join(w.dir, 'k.pem'), join(w.dir, 'k.pub.pem')]);
    assert.is((await stat(k.privatePath)).mode & 0o777, 0o600);
    assert.is((await stat(k.publicPath)).mode & 0o077, 0o044 & ~process.umask() & 0o077);
    assert.match(await readFile(k.privatePath, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(await readFile(k.publicPath, 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
    assert.is(keyId(await readPrivateKey(k.privatePath)), k.id);
    assert.is(keyId(createPublicKey(await readFile(k.publicPath))), k.id);
    assert.match(k.id, /^[0-9a-f]{16}$/);
  } finally {
    await w.close();
  }
});

testWith(['openssl'], 'the key id is what openssl prints for the public key file (first 16 hex of sha256 of the DER)', async () => {
  const w = await workspace();
  try {
    const der = execFileSync(programPath('openssl'), ['pkey', '-pubin', '-in', join(w.trust, 'site.pub.pem'), '-outform', 'DER']);
    assert.is(createHash('sha256').update(der).digest('hex').slice(0, 16), w.keyId);
  } finally {
    await w.close();
  }
});

test('keygen refuses to overwrite either half, and leaves what is there untouched', async () => {
  const w = await workspace();
  try {
    const before = await readFile(w.key);
    const e = await rejection(generateKeys(join(w.dir, 'site')));
    assert.is(e.code, 'PFS_ERR_KEY');
    assert.match(e.message, /site\.pem: already exists: not overwriting/);
    assert.ok((await readFile(w.key)).equals(before));
    // Only the public half exists: refused, and no lone private half is left behind.
    await writeFile(join(w.dir, 'half.pub.pem'), 'x');
    const e2 = await rejection(generateKeys(join(w.dir, 'half')));
    assert.match(e2.message, /half\.pub\.pem: already exists/);
    assert.is((await readdir(w.dir)).includes('half.pem'), false);
    assert.is(await readFile(join(w.dir, 'half.pub.pem'), 'utf8'), 'x');
  } finally {
    await w.close();
  }
});

test('trust/: every *.pub.pem is loaded in name order, other files are ignored', async () => {
  const w = await workspace();
  try {
    const other = await generateKeys(join(w.dir, 'other'));
    await writeFile(join(w.trust, 'a-other.pub.pem'), await readFile(other.publicPath));
    await writeFile(join(w.trust, 'README.txt'), 'public keys of the build machines');
    const keys = await loadTrust(w.trust);
    assert.equal(keys.map((k) => [k.id, k.file]), [[other.id, join(w.trust, 'a-other.pub.pem')], [w.keyId, join(w.trust, 'site.pub.pem')]]);
    assert.equal(await loadTrust(w.build), []);
  } finally {
    await w.close();
  }
});

test('trust/: a bad key file stops the board with an error naming the file', async () => {
  const w = await workspace();
  try {
    const bad = join(w.trust, 'bad.pub.pem');
    const cases: [string, string | Buffer, RegExp][] = [
      ['not PEM', 'hello', /not a public key in PEM form/],
      ['a private key', await readFile(w.key), /holds a PRIVATE key/],
      ['an RSA key', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }), /an rsa key, not Ed25519/],
    ];
    for (const [what, content, re] of cases) {
      await writeFile(bad, content);
      const e = await rejection(loadTrust(w.trust));
      assert.is(e.code, 'PFS_ERR_KEY', what);
      assert.ok(e.message.startsWith(`${bad}: `), `${what}: ${e.message}`);
      assert.match(e.message, re, what);
    }
    const missing = await rejection(loadTrust(join(w.dir, 'nope')));
    assert.match(missing.message, /nope: cannot read the trust folder: ENOENT/);
  } finally {
    await w.close();
  }
});

test('a signing key must be an Ed25519 private key; the error says which file and what it is', async () => {
  const w = await workspace();
  try {
    const rsa = join(w.dir, 'rsa.pem');
    await writeFile(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    assert.match((await rejection(readPrivateKey(rsa))).message, /rsa\.pem: an rsa key; pfs signs with Ed25519/);
    assert.match((await rejection(readPrivateKey(join(w.trust, 'site.pub.pem')))).message, /site\.pub\.pem: not a private key .*this is a public key/);
    assert.match((await rejection(readPrivateKey(join(w.dir, 'none.pem')))).message, /none\.pem: cannot read the signing key: ENOENT/);
  } finally {
    await w.close();
  }
});

test.run();
