import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { keyId, loadTrust, readPrivateKey } from '../../src/loads/keys';
import { encodeSignedManifest, openSignedManifest, signManifestBytes, ManifestError, type LoadManifest, type TrustedKey } from '../../src/loads/manifest';
import { seededBytes } from '../../src/lab/firmware';
import { manifestCode, workspace } from './helpers';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** A small valid manifest: one 1-block file and one 2-block file. */
function sample(): LoadManifest {
  return {
    format: 'pfs-load/1',
    load: 'SCCP41.9-4-2SR2-2S',
    model: 'CP-7961G',
    created: '2026-01-01T00:00:00.000Z',
    files: [
      { name: 'apps41.sbn', size: 10, sha256: hex('a'), blockSize: 65536, blocks: [hex('a')] },
      { name: 'cnu41.sbn', size: 65537, sha256: hex('c'), blockSize: 65536, blocks: [hex('c1'), hex('c2')] },
    ],
  };
}

async function setup() {
  const w = await workspace();
  return { w, key: await readPrivateKey(w.key), trust: await loadTrust(w.trust) };
}

/** Signs arbitrary JSON text with a trusted key: what a buggy build script could produce. */
const signJson = (value: unknown, key: Parameters<typeof signManifestBytes>[1]) => signManifestBytes(Buffer.from(JSON.stringify(value, null, 1) + '\n'), key);

test('a signed manifest opens with the trusted key and reads as plain text a field engineer can check', async () => {
  const { w, key, trust } = await setup();
  try {
    const bytes = encodeSignedManifest(sample(), key);
    assert.equal(openSignedManifest(bytes, trust, 'test'), sample());
    const lines = bytes.toString('utf8').split('\n');
    assert.is(lines[0], '{');
    assert.is(lines.at(-1), '', 'ends with a newline');
    assert.match(lines.at(-2)!, new RegExp(`^-----PFS-SIGNATURE ed25519 ${w.keyId} [A-Za-z0-9+/]{86}==$`));
    assert.ok(lines.includes(' "load": "SCCP41.9-4-2SR2-2S",'));
  } finally {
    await w.close();
  }
});

test('same manifest and key give the same bytes, whatever order the caller gave the fields in', async () => {
  const { w, key } = await setup();
  try {
    const m = sample();
    const shuffled = { files: m.files.map((f) => ({ blocks: f.blocks, blockSize: f.blockSize, sha256: f.sha256, size: f.size, name: f.name })), created: m.created, model: m.model, load: m.load, format: m.format } as LoadManifest;
    assert.ok(encodeSignedManifest(m, key).equals(encodeSignedManifest(shuffled, key)));
  } finally {
    await w.close();
  }
});

test('every byte of a signed manifest, flipped, deleted or doubled, gets it refused with a ManifestError', async () => {
  const { w, key, trust } = await setup();
  try {
    const good = encodeSignedManifest(sample(), key);
    let n = 0;
    const refused = (bad: Buffer, what: string) => {
      n++;
      try {
        openSignedManifest(bad, trust, 'peer');
      } catch (e) {
        if (e instanceof ManifestError && e.code !== 'PFS_ERR_MANIFEST_MALFORMED') return;
        assert.unreachable(`${what}: ${String(e)} instead of a signature error`);
      }
      assert.unreachable(`${what} was accepted`);
    };
    for (let i = 0; i < good.length; i++) {
      for (const mask of [0x01, 0x20, 0x80, 0xff]) {
        const bad = Buffer.from(good);
        bad[i] = bad[i]! ^ mask;
        refused(bad, `byte ${i} ^ 0x${mask.toString(16)}`);
      }
      refused(Buffer.concat([good.subarray(0, i), good.subarray(i + 1)]), `byte ${i} deleted`);
      refused(Buffer.concat([good.subarray(0, i + 1), good.subarray(i)]), `byte ${i} doubled`);
    }
    assert.is(n, good.length * 6);
  } finally {
    await w.close();
  }
});

test('unsigned: PFS_ERR_MANIFEST_UNSIGNED, naming the source', async () => {
  const { w, key, trust } = await setup();
  try {
    const good = encodeSignedManifest(sample(), key);
    const unsigned = good.subarray(0, good.indexOf('-----PFS-SIGNATURE'));
    assert.throws(() => openSignedManifest(unsigned, trust, 'SCCP41.9-4-2SR2-2S.loads from 127.0.0.1:6969'), manifestCode('PFS_ERR_MANIFEST_UNSIGNED', /^SCCP41\.9-4-2SR2-2S\.loads from 127\.0\.0\.1:6969: no signature line/));
  } finally {
    await w.close();
  }
});

test('signed by a key not in trust/: PFS_ERR_MANIFEST_SIGNATURE naming the key', async () => {
  const { w, trust } = await setup();
  try {
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const bytes = encodeSignedManifest(sample(), stranger);
    const id = keyId(stranger);
    assert.throws(
      () => openSignedManifest(bytes, trust, 'SCCP41.9-4-2SR2-2S.loads from 127.0.0.1:6969'),
      manifestCode('PFS_ERR_MANIFEST_SIGNATURE', new RegExp(`^SCCP41\\.9-4-2SR2-2S\\.loads from 127\\.0\\.0\\.1:6969: signed by key ${id}, which is not in trust/ \\(trust/ has ${w.keyId}\\)$`)),
    );
    assert.throws(() => openSignedManifest(bytes, [], 'x'), manifestCode('PFS_ERR_MANIFEST_SIGNATURE', /trust\/ is empty/));
  } finally {
    await w.close();
  }
});

test('a trusted key id with another key\'s signature: PFS_ERR_MANIFEST_SIGNATURE, changed after signing', async () => {
  const { w, trust } = await setup();
  try {
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const forged = Buffer.from(encodeSignedManifest(sample(), stranger).toString().replace(/(ed25519 )[0-9a-f]{16}/, `$1${w.keyId}`));
    assert.throws(() => openSignedManifest(forged, trust, 'peer'), manifestCode('PFS_ERR_MANIFEST_SIGNATURE', /does not match/));
  } finally {
    await w.close();
  }
});

test('a truncated signature line, at every length: a signature error, never accepted', async () => {
  const { w, key, trust } = await setup();
  try {
    const good = encodeSignedManifest(sample(), key);
    const line = good.indexOf('-----PFS-SIGNATURE ed25519 ') + '-----PFS-SIGNATURE ed25519 '.length;
    for (let end = line; end < good.length; end++) {
      assert.throws(() => openSignedManifest(good.subarray(0, end), trust, 'peer'), manifestCode('PFS_ERR_MANIFEST_SIGNATURE', /malformed signature line/), `cut at ${end}`);
    }
    // Cut inside the marker itself: no signature line left at all.
    assert.throws(() => openSignedManifest(good.subarray(0, line - 3), trust, 'peer'), manifestCode('PFS_ERR_MANIFEST_UNSIGNED'));
    // Something after the signature line.
    assert.throws(() => openSignedManifest(Buffer.concat([good, Buffer.from('\n')]), trust, 'peer'), manifestCode('PFS_ERR_MANIFEST_SIGNATURE'));
  } finally {
    await w.close();
  }
});

test('garbage of any kind gives a ManifestError, never another exception', async () => {
  const { w, trust } = await setup();
  try {
    const samples: Buffer[] = [Buffer.alloc(0), Buffer.from('\x00\x01garbage'), Buffer.from('-----PFS-SIGNATURE ed25519 '), Buffer.from('-----PFS-SIGNATURE ed25519 -----PFS-SIGNATURE ed25519 \n')];
    for (let i = 0; i < 200; i++) samples.push(seededBytes(`garbage${i}`, i * 7));
    for (let i = 0; i < 50; i++) {
      for (const id of ['0'.repeat(16), w.keyId]) samples.push(Buffer.concat([seededBytes(`g${i}`, i), Buffer.from(`-----PFS-SIGNATURE ed25519 ${id} ${seededBytes(`s${i}`, 64).toString('base64')}\n`)]));
    }
    for (const s of samples) assert.throws(() => openSignedManifest(s, trust, 'peer'), (e: unknown) => e instanceof ManifestError);
  } finally {
    await w.close();
  }
});

test('correctly signed but wrong inside: PFS_ERR_MANIFEST_MALFORMED naming the field', async () => {
  const { w, key, trust } = await setup();
  try {
    const m = sample();
    const f0 = m.files[0]!;
    const cases: [string, unknown, RegExp][] = [
      ['path in a name', { ...m, files: [{ ...f0, name: '../etc/passwd' }] }, /files\[0\]\.name must be a plain file name/],
      ['slash in a name', { ...m, files: [{ ...f0, name: 'a/b.sbn' }] }, /files\[0\]\.name/],
      ['dot-dot name', { ...m, files: [{ ...f0, name: '..' }] }, /files\[0\]\.name/],
      ['slash in the load', { ...m, load: 'x/y' }, /load must be a plain name/],
      ['two files, one name', { ...m, files: [f0, f0] }, /appears twice/],
      ['block list too short for the size', { ...m, files: [{ ...f0, size: 70000 }] }, /2 expected for 70000 bytes/],
      ['negative size', { ...m, files: [{ ...f0, size: -1 }] }, /size must be a whole number/],
      ['fractional size', { ...m, files: [{ ...f0, size: 1.5 }] }, /size must be a whole number/],
      ['size as text', { ...m, files: [{ ...f0, size: '10' }] }, /size must be a whole number/],
      ['zero block size', { ...m, files: [{ ...f0, blockSize: 0 }] }, /blockSize/],
      ['short hash', { ...m, files: [{ ...f0, sha256: 'abc' }] }, /sha256 must be 64/],
      ['upper-case hash', { ...m, files: [{ ...f0, sha256: f0.sha256.toUpperCase(), blocks: [f0.sha256.toUpperCase()] }] }, /sha256 must be 64 lower-case/],
      ['short block hash', { ...m, files: [m.files[1]!, { ...f0, blocks: ['00'] }] }, /files\[1\]\.blocks must be a list/],
      ['one block whose hash differs from the file hash', { ...m, files: [{ ...f0, blocks: [hex('z')] }] }, /block hash differs/],
      ['empty file with a wrong hash', { ...m, files: [{ ...f0, size: 0, blocks: [] }] }, /not the hash of an empty file/],
      ['no files', { ...m, files: [] }, /files must be a non-empty list/],
      ['another format', { ...m, format: 'pfs-load/2' }, /format must be "pfs-load\/1"/],
      ['an unknown field', { ...m, extra: 1 }, /unknown field "extra"/],
      ['an unknown file field', { ...m, files: [{ ...f0, mode: 0o755 }] }, /unknown field "mode"/],
      ['a model with markup', { ...m, model: 'CP-7961G"><x' }, /model must be/],
      ['not a time', { ...m, created: 'yesterday' }, /created must be an ISO 8601 time/],
      ['an array', [m], /not a JSON object/],
      ['null', null, /not a JSON object/],
    ];
    for (const [what, value, re] of cases) {
      assert.throws(() => openSignedManifest(signJson(value, key), trust, 'SCCP41.loads'), manifestCode('PFS_ERR_MANIFEST_MALFORMED', new RegExp(`^SCCP41\\.loads: signed by key ${w.keyId}, but .*${re.source}`)), what);
    }
    const notJson = signManifestBytes(Buffer.from('{"format": "pfs-load/1",\n'), key);
    assert.throws(() => openSignedManifest(notJson, trust, 'peer'), manifestCode('PFS_ERR_MANIFEST_MALFORMED', /not valid JSON/));
  } finally {
    await w.close();
  }
});

test('encodeSignedManifest refuses to sign a manifest boards would refuse, or with a key that is not Ed25519 private', async () => {
  const { w, key } = await setup();
  try {
    assert.throws(() => encodeSignedManifest({ ...sample(), load: '../x' }, key), manifestCode('PFS_ERR_MANIFEST_MALFORMED', /to sign/));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    assert.throws(() => encodeSignedManifest(sample(), rsa), (e: unknown) => (e as { code?: string }).code === 'PFS_ERR_KEY' && /Ed25519/.test((e as Error).message));
    const pub = generateKeyPairSync('ed25519').publicKey;
    assert.throws(() => encodeSignedManifest(sample(), pub), (e: unknown) => (e as { code?: string }).code === 'PFS_ERR_KEY');
  } finally {
    await w.close();
  }
});

test('keys are matched by id: two trusted keys, either signs', async () => {
  const { w, key, trust } = await setup();
  try {
    const other = generateKeyPairSync('ed25519');
    const both: TrustedKey[] = [...trust, { id: keyId(other.publicKey), key: other.publicKey, file: 'other.pub.pem' }];
    assert.is(openSignedManifest(encodeSignedManifest(sample(), key), both, 'a').load, sample().load);
    assert.is(openSignedManifest(encodeSignedManifest(sample(), other.privateKey), both, 'b').load, sample().load);
  } finally {
    await w.close();
  }
});

test.run();
