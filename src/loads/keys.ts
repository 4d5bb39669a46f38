import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PfsError } from '../errors';
import { keyId, type TrustedKey } from './manifest';

export class KeyError extends PfsError {
  constructor(file: string, reason: string) {
    super('PFS_ERR_KEY', `${file}: ${reason}`);
  }
}

/**
 * Writes a new Ed25519 pair: `OUT.pem` (private, mode 0600: keep it off the boards)
 * and `OUT.pub.pem` (public: goes into every board image's trust/ folder).
 * Never overwrites an existing key.
 */
export async function generateKeys(out: string): Promise<{ privatePath: string; publicPath: string; id: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePath = `${out}.pem`;
  const publicPath = `${out}.pub.pem`;
  try {
    await writeFile(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    await writeFile(publicPath, publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyError((e as NodeJS.ErrnoException).path ?? out, 'already exists: not overwriting a key');
    throw new KeyError(out, (e as Error).message);
  }
  return { privatePath, publicPath, id: keyId(publicKey) };
}

/** Reads a signing key; it must be an Ed25519 private key in PEM. */
export async function readPrivateKey(path: string): Promise<KeyObject> {
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (e) {
    throw new KeyError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new KeyError(path, 'not a private key in PEM form');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(path, `an ${key.asymmetricKeyType} key; pfs signs with Ed25519 (make one with pfs keygen)`);
  return key;
}

/** Every `*.pub.pem` in a board's trust folder. A file that is not an Ed25519 public key is an error. */
export async function loadTrust(dir: string): Promise<TrustedKey[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.pub.pem')).sort();
  } catch (e) {
    throw new KeyError(dir, `cannot read the trust folder: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  const keys: TrustedKey[] = [];
  for (const n of names) {
    const file = join(dir, n);
    let key: KeyObject;
    try {
      key = createPublicKey(await readFile(file));
    } catch {
      throw new KeyError(file, 'not a public key in PEM form');
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(file, `an ${key.asymmetricKeyType} key, not Ed25519`);
    keys.push({ id: keyId(key), key, file });
  }
  return keys;
}
