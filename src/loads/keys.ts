import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PfsError } from '../errors';

/** A public key a board trusts, from its image's trust/ folder. */
export interface TrustedKey {
  /** First 16 hex digits of the SHA-256 of the public key (SPKI DER): see keyId. */
  id: string;
  key: KeyObject;
  /** The `*.pub.pem` file it came from. */
  file: string;
}

/** A key file that cannot be used: missing, unreadable, not Ed25519, or would be overwritten. Names the file. */
export class KeyError extends PfsError {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super('PFS_ERR_KEY', `${file}: ${reason}`);
  }
}

/**
 * The id a key is known by in signature lines, logs and `pfs keygen`'s output: the
 * first 16 hex digits of the SHA-256 of the public key in SPKI DER form
 * (`openssl pkey -pubin -in KEY.pub.pem -outform DER | sha256sum`). Takes either half.
 */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
}

/**
 * Writes a new Ed25519 pair: `OUT.pem` (private, mode 0600: keep it off the boards)
 * and `OUT.pub.pem` (public: goes into every board image's trust/ folder).
 * Never overwrites: if either file exists, nothing is written (KeyError).
 */
export async function generateKeys(out: string): Promise<{ privatePath: string; publicPath: string; id: string }> {
  const privatePath = `${out}.pem`;
  const publicPath = `${out}.pub.pem`;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const write = async (path: string, text: string | Buffer, mode: number) => {
    try {
      await writeFile(path, text, { mode, flag: 'wx' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new KeyError(path, code === 'EEXIST' ? 'already exists: not overwriting a key (choose another name, or remove it first)' : `cannot write: ${code ?? (e as Error).message}`);
    }
  };
  await write(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }), 0o600);
  try {
    await write(publicPath, publicKey.export({ format: 'pem', type: 'spki' }), 0o644);
  } catch (e) {
    // Half a pair is worse than none: the next attempt would refuse over the private half.
    await rm(privatePath, { force: true });
    throw e;
  }
  return { privatePath, publicPath, id: keyId(publicKey) };
}

/** Reads a signing key: an Ed25519 private key in PEM (as `pfs keygen` writes it). */
export async function readPrivateKey(path: string): Promise<KeyObject> {
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (e) {
    throw new KeyError(path, `cannot read the signing key: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    const hint = pem.includes('PUBLIC KEY-----') ? ' (this is a public key: sign with the .pem beside it, not the .pub.pem)' : '';
    throw new KeyError(path, `not a private key in PEM form${hint}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(path, `an ${key.asymmetricKeyType} key; pfs signs with Ed25519 (make one with pfs keygen)`);
  return key;
}

/**
 * Every `*.pub.pem` in a board's trust folder, in name order. A file there that is not
 * an Ed25519 public key (including a private key, which must never be on a board) is
 * an error naming the file: a board does not start with a trust folder it cannot read.
 */
export async function loadTrust(dir: string): Promise<TrustedKey[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.pub.pem')).sort();
  } catch (e) {
    throw new KeyError(dir, `cannot read the trust folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const keys: TrustedKey[] = [];
  for (const n of names) {
    const file = join(dir, n);
    let pem: Buffer;
    try {
      pem = await readFile(file);
    } catch (e) {
      throw new KeyError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    // createPublicKey would happily derive a public key from a private one: refuse that file instead.
    if (pem.includes('PRIVATE KEY-----')) throw new KeyError(file, 'holds a PRIVATE key: a board image must carry only public keys (.pub.pem from pfs keygen); remove it');
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new KeyError(file, 'not a public key in PEM form (expected -----BEGIN PUBLIC KEY-----)');
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(file, `an ${key.asymmetricKeyType} key, not Ed25519`);
    keys.push({ id: keyId(key), key, file });
  }
  return keys;
}
