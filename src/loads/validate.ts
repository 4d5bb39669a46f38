/**
 * Field checks for a `pfs-load/1` manifest. They run only after the signature is
 * verified: a trusted signer can still have signed a wrong manifest (a bug in a build
 * script, a hand edit before signing), and a board must not act on one.
 */

/** Largest block a manifest may name: a board holds one block in memory per transfer. */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

const HEX64 = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const MANIFEST_KEYS = ['format', 'load', 'model', 'created', 'files'];
const FILE_KEYS = ['name', 'size', 'sha256', 'blockSize', 'blocks'];

/**
 * A plain file name: what a TFTP server serves from its folder and a flash slot holds.
 * Letters, digits and `. _ + -`, 1 to 200 of them, not `.` or `..` (so never a `/`).
 */
export function isPlainName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z0-9._+-]{1,200}$/.test(name) && name !== '.' && name !== '..';
}

/** A phone model as the phone reports it (`CP-7961G`, `CP-7971G-GE`): it also lands in XML attributes. */
export function isModelName(model: unknown): model is string {
  return typeof model === 'string' && /^[A-Za-z0-9._+-]{1,64}$/.test(model);
}

/** An ISO 8601 time with a zone, as `Date.prototype.toISOString` writes it. */
export function isIsoTime(t: unknown): t is string {
  return typeof t === 'string' && ISO_TIME.test(t) && !Number.isNaN(Date.parse(t));
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

function unknownKey(o: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  return Object.keys(o).find((k) => !allowed.includes(k));
}

/** Why a parsed manifest is not acceptable, or undefined when it is. */
export function manifestProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const m = v as Record<string, unknown>;
  if (m.format !== 'pfs-load/1') return `format must be "pfs-load/1" (got ${JSON.stringify(m.format) ?? 'nothing'})`;
  const extra = unknownKey(m, MANIFEST_KEYS);
  if (extra !== undefined) return `unknown field "${extra}" (pfs-load/1 has ${MANIFEST_KEYS.join(', ')})`;
  if (!isPlainName(m.load)) return 'load must be a plain name (letters, digits, . _ + -)';
  if (!isModelName(m.model)) return 'model must be a model name such as CP-7961G';
  if (!isIsoTime(m.created)) return 'created must be an ISO 8601 time';
  if (!Array.isArray(m.files) || m.files.length === 0) return 'files must be a non-empty list';
  const seen = new Set<string>();
  for (const [i, f] of (m.files as unknown[]).entries()) {
    const at = `files[${i}]`;
    if (typeof f !== 'object' || f === null || Array.isArray(f)) return `${at} is not an object`;
    const file = f as Record<string, unknown>;
    const extraF = unknownKey(file, FILE_KEYS);
    if (extraF !== undefined) return `${at} has an unknown field "${extraF}"`;
    if (!isPlainName(file.name)) return `${at}.name must be a plain file name (no "/", not "..")`;
    if (seen.has(file.name)) return `${at}.name "${file.name}" appears twice`;
    seen.add(file.name);
    if (file.name === `${m.load}.loads`) return `${at}.name is the manifest's own name`;
    if (!isCount(file.size)) return `${at}.size must be a whole number of bytes`;
    if (!isCount(file.blockSize) || file.blockSize < 1 || file.blockSize > MAX_BLOCK_BYTES) return `${at}.blockSize must be 1..${MAX_BLOCK_BYTES}`;
    if (typeof file.sha256 !== 'string' || !HEX64.test(file.sha256)) return `${at}.sha256 must be 64 lower-case hex digits`;
    if (!Array.isArray(file.blocks) || !file.blocks.every((b) => typeof b === 'string' && HEX64.test(b))) return `${at}.blocks must be a list of 64-hex-digit hashes`;
    const want = Math.ceil(file.size / file.blockSize);
    if (file.blocks.length !== want) return `${at}.blocks has ${file.blocks.length} hashes, ${want} expected for ${file.size} bytes in blocks of ${file.blockSize}`;
    // Cheap consistency checks that catch a manifest built from the wrong numbers.
    if (file.size === 0 && file.sha256 !== EMPTY_SHA256) return `${at}.sha256 is not the hash of an empty file`;
    if (want === 1 && file.blocks[0] !== file.sha256) return `${at} is one block, but its block hash differs from its file hash`;
  }
  return undefined;
}
