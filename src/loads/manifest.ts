import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { PfsError } from '../errors';

/** One component of a load, with the per-block SHA-256 list the download engine checks. */
export interface ManifestFile {
  name: string;
  size: number;
  /** SHA-256 of the whole file, hex. */
  sha256: string;
  blockSize: number;
  /** SHA-256 of each block, hex, in order. */
  blocks: string[];
}

/** A firmware version for one phone model. */
export interface LoadManifest {
  format: 'pfs-load/1';
  load: string;
  model: string;
  created: string;
  files: ManifestFile[];
}

/** A public key a board trusts, from its image's trust/ folder. */
export interface TrustedKey {
  /** First 16 hex digits of the SHA-256 of the raw public key. */
  id: string;
  key: KeyObject;
  file: string;
}

export type ManifestErrorCode = 'PFS_ERR_MANIFEST_UNSIGNED' | 'PFS_ERR_MANIFEST_SIGNATURE' | 'PFS_ERR_MANIFEST_MALFORMED';

export class ManifestError extends PfsError {
  constructor(code: ManifestErrorCode, source: string, reason: string) {
    super(code, `${source}: ${reason}`);
  }
}

const SIG_PREFIX = '-----PFS-SIGNATURE ed25519 ';

/** The id a key is known by: in signature lines, logs and `pfs keygen`'s output. */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const raw = pub.export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/**
 * The bytes of a `.loads` file: the manifest as JSON text (fields in a fixed order,
 * so the same load always gives the same bytes), then one signature line over
 * exactly those bytes: `-----PFS-SIGNATURE ed25519 <key id> <base64>`.
 */
export function encodeSignedManifest(m: LoadManifest, privateKey: KeyObject): Buffer {
  if (privateKey.asymmetricKeyType !== 'ed25519' || privateKey.type !== 'private') {
    throw new ManifestError('PFS_ERR_MANIFEST_SIGNATURE', 'signing key', 'not an Ed25519 private key');
  }
  const ordered: LoadManifest = {
    format: m.format,
    load: m.load,
    model: m.model,
    created: m.created,
    files: m.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, blockSize: f.blockSize, blocks: f.blocks })),
  };
  const body = Buffer.from(JSON.stringify(ordered, null, 1) + '\n', 'utf8');
  const sig = sign(null, body, privateKey).toString('base64');
  return Buffer.concat([body, Buffer.from(`${SIG_PREFIX}${keyId(privateKey)} ${sig}\n`, 'utf8')]);
}

/**
 * Checks the signature with the trusted keys, then the manifest's every field.
 * Throws ManifestError (never anything else) naming `source` and the reason.
 */
export function openSignedManifest(bytes: Buffer, trusted: readonly TrustedKey[], source: string): LoadManifest {
  const at = bytes.lastIndexOf(SIG_PREFIX);
  if (at < 0) throw new ManifestError('PFS_ERR_MANIFEST_UNSIGNED', source, 'no signature line: refused');
  const body = bytes.subarray(0, at);
  // Exactly one canonical line: no byte of the file is left unchecked.
  const line = bytes.subarray(at + SIG_PREFIX.length).toString('latin1');
  const m = /^([0-9a-f]{16}) ([A-Za-z0-9+/]{86}==)\n$/.exec(line);
  if (!m || Buffer.from(m[2]!, 'base64').toString('base64') !== m[2]) {
    throw new ManifestError('PFS_ERR_MANIFEST_SIGNATURE', source, 'malformed signature line');
  }
  const signer = trusted.find((k) => k.id === m[1]);
  if (!signer) throw new ManifestError('PFS_ERR_MANIFEST_SIGNATURE', source, `signed by key ${m[1]}, which is not in the board's trust/ folder`);
  let good = false;
  try {
    good = verify(null, body, signer.key, Buffer.from(m[2]!, 'base64'));
  } catch {
    good = false;
  }
  if (!good) throw new ManifestError('PFS_ERR_MANIFEST_SIGNATURE', source, `signature by key ${m[1]} does not match: the manifest was changed after signing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ManifestError('PFS_ERR_MANIFEST_MALFORMED', source, 'signed, but not valid JSON');
  }
  const why = invalid(parsed);
  if (why) throw new ManifestError('PFS_ERR_MANIFEST_MALFORMED', source, why);
  return parsed as LoadManifest;
}

const HEX64 = /^[0-9a-f]{64}$/;
const isCount = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** A plain file name: what a TFTP server serves from its folder, and a flash slot holds. */
export function isPlainName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z0-9._+-]{1,200}$/.test(name) && name !== '.' && name !== '..';
}

/** Why a parsed manifest is not acceptable, or undefined when it is. */
function invalid(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'not an object';
  const m = v as Record<string, unknown>;
  if (m.format !== 'pfs-load/1') return `format must be "pfs-load/1" (got ${JSON.stringify(m.format)})`;
  if (!isPlainName(m.load)) return 'load must be a plain name';
  if (typeof m.model !== 'string' || m.model === '') return 'model must be a non-empty string';
  if (typeof m.created !== 'string') return 'created must be a string';
  if (!Array.isArray(m.files) || m.files.length === 0) return 'files must be a non-empty list';
  const seen = new Set<string>();
  for (const [i, f] of (m.files as Record<string, unknown>[]).entries()) {
    const at = `files[${i}]`;
    if (typeof f !== 'object' || f === null) return `${at} is not an object`;
    if (!isPlainName(f.name)) return `${at}.name must be a plain file name`;
    if (seen.has(f.name)) return `${at}.name "${f.name}" appears twice`;
    seen.add(f.name);
    if (!isCount(f.size)) return `${at}.size must be a whole number of bytes`;
    if (!isCount(f.blockSize) || (f.blockSize as number) < 1) return `${at}.blockSize must be a positive whole number`;
    if (typeof f.sha256 !== 'string' || !HEX64.test(f.sha256)) return `${at}.sha256 must be 64 hex digits`;
    if (!Array.isArray(f.blocks) || !f.blocks.every((b) => typeof b === 'string' && HEX64.test(b))) return `${at}.blocks must be a list of 64-hex-digit hashes`;
    const want = Math.ceil((f.size as number) / (f.blockSize as number));
    if (f.blocks.length !== want) return `${at}.blocks has ${f.blocks.length} hashes, ${want} expected for ${f.size} bytes`;
  }
  return undefined;
}
