import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { KeyError } from '../loads/keys';

/**
 * Reads the site's public key for a board's trust folder, as the board will
 * (src/loads/keys.ts loadTrust): an Ed25519 public key in PEM, in a file named
 * `*.pub.pem`. Throws KeyError (PFS_ERR_KEY) naming the file otherwise, so a board is
 * never imaged with a trust folder it would refuse to start with.
 */
export async function readTrustKey(path: string): Promise<{ name: string; pem: Buffer }> {
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (e) {
    throw new KeyError(path, `cannot read the trust key: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (pem.includes('PRIVATE KEY-----')) throw new KeyError(path, 'a PRIVATE key: a board image carries only the public half (the .pub.pem beside it)');
  let key;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new KeyError(path, 'not a public key in PEM form (expected -----BEGIN PUBLIC KEY-----, as pfs keygen writes)');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(path, `an ${key.asymmetricKeyType} key, not Ed25519`);
  const name = basename(path);
  if (!name.endsWith('.pub.pem')) throw new KeyError(path, 'a board reads only *.pub.pem files from its trust folder: name the key so');
  return { name, pem };
}
