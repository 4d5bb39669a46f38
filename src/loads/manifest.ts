import { sign, verify, type KeyObject } from 'node:crypto';
import { PfsError } from '../errors';
import { keyId, KeyError, type TrustedKey } from './keys';
import { manifestProblem } from './validate';

export { isPlainName } from './validate';
export { keyId, type TrustedKey } from './keys';

/** One component of a load, with the per-block SHA-256 list the download engine checks. */
export interface ManifestFile {
  /** Plain file name, as the TFTP server serves it and the flash slot stores it. */
  name: string;
  /** Bytes. */
  size: number;
  /** SHA-256 of the whole file, lower-case hex. */
  sha256: string;
  /** Bytes per block (the last block may be short); 64 KiB unless packed otherwise. */
  blockSize: number;
  /** SHA-256 of each block, lower-case hex, in order: ceil(size / blockSize) of them. */
  blocks: string[];
}

/** A firmware version for one phone model: what a `.loads` file says, once verified. */
export interface LoadManifest {
  format: 'pfs-load/1';
  /** Load name, e.g. SCCP41.9-4-2SR2-2S; the file is `<load>.loads`. */
  load: string;
  /** Phone model the load is for, e.g. CP-7961G. */
  model: string;
  /** ISO 8601 time the load was packed. */
  created: string;
  files: ManifestFile[];
}

export type ManifestErrorCode = 'PFS_ERR_MANIFEST_UNSIGNED' | 'PFS_ERR_MANIFEST_SIGNATURE' | 'PFS_ERR_MANIFEST_MALFORMED';

/**
 * A `.loads` file a board must not act on. The message names where it came from
 * (`source`: a file, or `NAME.loads from HOST:PORT`) and why:
 * - PFS_ERR_MANIFEST_UNSIGNED: no signature line at all;
 * - PFS_ERR_MANIFEST_SIGNATURE: a malformed signature line, a key not in trust/, or
 *   a signature that does not match the bytes (the manifest was changed);
 * - PFS_ERR_MANIFEST_MALFORMED: correctly signed, but not a valid pfs-load/1 manifest.
 */
export class ManifestError extends PfsError {
  constructor(
    code: ManifestErrorCode,
    readonly source: string,
    readonly reason: string,
  ) {
    super(code, `${source}: ${reason}`);
  }
}

const SIG_PREFIX = '-----PFS-SIGNATURE ed25519 ';
// Key id, one space, the 64-byte signature in canonical base64, newline, end of file.
const SIG_LINE = /^([0-9a-f]{16}) ([A-Za-z0-9+/]{86}==)\n$/;

/**
 * Appends the signature line to `body`: `-----PFS-SIGNATURE ed25519 <key id> <base64>`,
 * over exactly those bytes. Low level: it signs whatever it is given (encodeSignedManifest
 * checks the manifest first).
 */
export function signManifestBytes(body: Buffer, privateKey: KeyObject): Buffer {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KeyError('signing key', `an ${privateKey.asymmetricKeyType ?? 'unknown'} ${privateKey.type} key; pfs signs with an Ed25519 private key`);
  }
  const sig = sign(null, body, privateKey).toString('base64');
  return Buffer.concat([body, Buffer.from(`${SIG_PREFIX}${keyId(privateKey)} ${sig}\n`, 'latin1')]);
}

/**
 * The bytes of a `.loads` file: the manifest as JSON text (fields in a fixed order,
 * one-space indent, a final newline: the same manifest always gives the same bytes),
 * then one signature line over exactly those bytes. Throws ManifestError
 * (PFS_ERR_MANIFEST_MALFORMED) rather than sign a manifest a board would refuse, and
 * KeyError when the key is not an Ed25519 private key.
 */
export function encodeSignedManifest(m: LoadManifest, privateKey: KeyObject): Buffer {
  const ordered: LoadManifest = {
    format: m.format,
    load: m.load,
    model: m.model,
    created: m.created,
    files: m.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, blockSize: f.blockSize, blocks: f.blocks })),
  };
  const problem = manifestProblem(ordered);
  if (problem) throw new ManifestError('PFS_ERR_MANIFEST_MALFORMED', `${m.load}.loads (to sign)`, problem);
  return signManifestBytes(Buffer.from(JSON.stringify(ordered, null, 1) + '\n', 'utf8'), privateKey);
}

/**
 * Checks the signature line against the trusted keys, then every field of the
 * manifest, and returns it. Nothing in the file is trusted before the signature is:
 * the JSON is not even parsed until then. Throws ManifestError (never anything else)
 * naming `source` and the reason.
 */
export function openSignedManifest(bytes: Buffer, trusted: readonly TrustedKey[], source: string): LoadManifest {
  const at = bytes.lastIndexOf(SIG_PREFIX);
  if (at < 0) throw new ManifestError('PFS_ERR_MANIFEST_UNSIGNED', source, 'no signature line (-----PFS-SIGNATURE): refused');
  const body = bytes.subarray(0, at);
  // Exactly one canonical line to the end of the file: no byte is left unchecked.
  const line = bytes.subarray(at + SIG_PREFIX.length).toString('latin1');
  const m = SIG_LINE.exec(line);
  if (!m || Buffer.from(m[2]!, 'base64').toString('base64') !== m[2]) {
    throw new ManifestError('PFS_ERR_MANIFEST_SIGNATURE', source, 'malformed signature line (expected "-----PFS-SIGNATURE ed25519 <16 hex> <base64 of 64 bytes>" and a newline at the end of the file)');
  }
  const id = m[1]!;
  const signer = trusted.find((k) => k.id === id);
  if (!signer) {
    const known = trusted.length === 0 ? 'trust/ is empty' : `trust/ has ${trusted.map((k) => k.id).join(', ')}`;
    throw new ManifestError('PFS_ERR_MANIFEST_SIGNATURE', source, `signed by key ${id}, which is not in trust/ (${known})`);
  }
  let good = false;
  try {
    good = verify(null, body, signer.key, Buffer.from(m[2]!, 'base64'));
  } catch {
    good = false;
  }
  if (!good) throw new ManifestError('PFS_ERR_MANIFEST_SIGNATURE', source, `signature by key ${id} does not match: the manifest was changed after signing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ManifestError('PFS_ERR_MANIFEST_MALFORMED', source, `signed by key ${id}, but not valid JSON`);
  }
  const problem = manifestProblem(parsed);
  if (problem) throw new ManifestError('PFS_ERR_MANIFEST_MALFORMED', source, `signed by key ${id}, but ${problem}`);
  return parsed as LoadManifest;
}
