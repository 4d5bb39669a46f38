import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PfsError } from '../errors';
import { DEFAULT_BLOCK_BYTES } from '../dload/integrity';
import { encodeSignedManifest, type LoadManifest, type ManifestFile } from './manifest';
import { keyId, readPrivateKey } from './keys';
import { hashCopy, hashFile, type FileDigest } from './hash-file';
import { isIsoTime, isModelName, isPlainName, MAX_BLOCK_BYTES } from './validate';
import { runtimeComponent, type RuntimeArch } from './runtime';

export interface PackOptions {
  /** Load name, e.g. SCCP41.9-4-2SR2-2S: letters, digits and `. _ + -` (no `/`). */
  load: string;
  /** Phone model, e.g. CP-7961G. */
  model: string;
  /** Component files; each is known by its base name, which must be unique. */
  files: string[];
  /**
   * Runtimes the load carries (release executables of pfs): each becomes the component
   * `pfs-linux-<arch>` whatever its file is called (src/loads/runtime.ts), which boards
   * of that CPU start after the reboot.
   */
  runtimes?: { path: string; arch: RuntimeArch }[];
  /** Ed25519 private key in PEM (pfs keygen). */
  keyPath: string;
  /** Where the components and `<load>.loads` go (made if missing): the TFTP server's folder. */
  outDir: string;
  /** Bytes per hashed block, default 64 KiB (what the download engine verifies). */
  blockSize?: number;
  /** ISO time written into the manifest; default now. Pass one for byte-identical output. */
  created?: string;
  /**
   * Replace what another load in `outDir` depends on: a `<load>.loads` of another
   * model or load, or a component file that another manifest there lists with other
   * content. Without it, packing refuses (PFS_ERR_PACK) and writes nothing.
   */
  force?: boolean;
}

export interface PackResult {
  manifestPath: string;
  manifest: LoadManifest;
  /** Bytes of the `.loads` file: `size=` of the cnf.xml `<pfsLoad>` element. */
  size: number;
  /** SHA-256 of the `.loads` file, hex: `sha256=` of `<pfsLoad>`. */
  sha256: string;
  /** Id of the signing key: boards need its public half in trust/. */
  keyId: string;
}

/**
 * PFS_ERR_PACK: the input is refused (bad load or model name, no files, a missing
 * file, duplicate names); PFS_ERR_PACK_IO: reading a component or writing the
 * output failed. A key that cannot be used is a KeyError (PFS_ERR_KEY).
 */
export class PackError extends PfsError {
  constructor(code: 'PFS_ERR_PACK' | 'PFS_ERR_PACK_IO', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

const refuse = (message: string) => new PackError('PFS_ERR_PACK', message);

/**
 * Makes a load: checks every input before writing anything, then hashes every
 * component as a stream, copying it into `outDir` in the same pass unless it is
 * already there, and writes `<outDir>/<load>.loads`, signed. Every file appears
 * complete or not at all (written under a temporary name, synced, renamed).
 * Returns the manifest file's size and SHA-256, which go into the device configuration.
 */
export async function packLoad(o: PackOptions): Promise<PackResult> {
  if (!isPlainName(o.load)) throw refuse(`load name "${o.load}" must be a plain name (letters, digits, . _ + -; no "/")`);
  if (!isModelName(o.model)) throw refuse(`model "${o.model}" must be a model name such as CP-7961G`);
  if (o.created !== undefined && !isIsoTime(o.created)) throw refuse(`created "${o.created}" must be an ISO 8601 time such as 2026-01-01T00:00:00.000Z`);
  const blockSize = o.blockSize ?? DEFAULT_BLOCK_BYTES;
  if (!Number.isSafeInteger(blockSize) || blockSize < 1 || blockSize > MAX_BLOCK_BYTES) throw refuse(`block size must be 1..${MAX_BLOCK_BYTES} bytes, got ${blockSize}`);
  const inputs = [...o.files.map((path) => ({ path, name: basename(path) })), ...(o.runtimes ?? []).map((r) => ({ path: r.path, name: runtimeComponent(r.arch) }))];
  if (inputs.length === 0) throw refuse('no component files given');

  const manifestName = `${o.load}.loads`;
  const sources: { path: string; name: string; dev: number; ino: number }[] = [];
  const names = new Set<string>();
  for (const { path, name } of inputs) {
    if (!isPlainName(name)) throw refuse(`component "${path}": its name must be a plain file name (letters, digits, . _ + -)`);
    if (names.has(name)) throw refuse(`two components are named "${name}": boards know components by name alone`);
    if (name === manifestName) throw refuse(`component "${path}" has the manifest's own name`);
    names.add(name);
    const st = await stat(path).catch((e: NodeJS.ErrnoException) => e);
    if (st instanceof Error) throw refuse(`component ${path}: ${st.code === 'ENOENT' ? 'no such file' : `cannot read (${st.code})`}`);
    if (!st.isFile()) throw refuse(`component ${path} is not a regular file`);
    sources.push({ path, name, dev: st.dev, ino: st.ino });
  }
  const key = await readPrivateKey(o.keyPath);
  if (!o.force) await refuseToBreakOthers(o, sources, blockSize);

  const files: ManifestFile[] = [];
  try {
    await mkdir(o.outDir, { recursive: true });
    for (const s of sources) {
      const dest = join(o.outDir, s.name);
      const there = await stat(dest).catch(() => undefined);
      const inPlace = there !== undefined && there.dev === s.dev && there.ino === s.ino;
      const d: FileDigest = inPlace ? await hashFile(s.path, blockSize) : await hashCopy(s.path, dest, blockSize);
      files.push({ name: s.name, size: d.size, sha256: d.sha256, blockSize, blocks: d.blocks });
    }
  } catch (e) {
    throw new PackError('PFS_ERR_PACK_IO', `packing into ${o.outDir}: ${(e as Error).message}`, { cause: e });
  }

  const manifest: LoadManifest = { format: 'pfs-load/1', load: o.load, model: o.model, created: o.created ?? new Date().toISOString(), files };
  const bytes = encodeSignedManifest(manifest, key);
  const manifestPath = join(o.outDir, manifestName);
  try {
    await writeComplete(manifestPath, bytes);
  } catch (e) {
    throw new PackError('PFS_ERR_PACK_IO', `writing ${manifestPath}: ${(e as Error).message}`, { cause: e });
  }
  return { manifestPath, manifest, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), keyId: keyId(key) };
}

/** What a `.loads` file in the output folder says, read without checking its signature (we only avoid breaking it). */
async function packedManifest(path: string): Promise<Pick<LoadManifest, 'load' | 'model' | 'files'> | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    const at = text.lastIndexOf('-----PFS-SIGNATURE');
    const m = JSON.parse(at < 0 ? text : text.slice(0, at)) as LoadManifest;
    return typeof m.load === 'string' && typeof m.model === 'string' && Array.isArray(m.files) ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A second model packed into the same folder under the same load name once replaced
 * the first model's manifest without a word (its boards then failed with a hash error
 * that pointed elsewhere). Refused: a manifest of this name for another model or
 * load, and a component another manifest here lists with different content.
 */
async function refuseToBreakOthers(o: PackOptions, sources: { path: string; name: string; dev: number; ino: number }[], blockSize: number): Promise<void> {
  const manifestName = `${o.load}.loads`;
  const names = await readdir(o.outDir).catch(() => [] as string[]);
  if (names.length === 0) return;
  const own = names.includes(manifestName) ? await packedManifest(join(o.outDir, manifestName)) : undefined;
  if (own && (own.model !== o.model || own.load !== o.load)) {
    throw refuse(
      `${join(o.outDir, manifestName)} is the manifest of ${own.load} for ${own.model}: packing ${o.load} for ${o.model} would replace it and ${own.model} boards would fail; give this load a name of its own (e.g. ${o.load}-${o.model.replace(/^CP-/, '')}), or --force to replace it`,
    );
  }
  const others: Pick<LoadManifest, 'load' | 'model' | 'files'>[] = [];
  for (const n of names) {
    if (!n.endsWith('.loads') || n === manifestName) continue;
    const m = await packedManifest(join(o.outDir, n));
    if (m) others.push(m);
  }
  for (const s of sources) {
    const users = others.filter((m) => m.files.some((f) => f.name === s.name));
    if (users.length === 0) continue;
    const there = await stat(join(o.outDir, s.name)).catch(() => undefined);
    if (there && there.dev === s.dev && there.ino === s.ino) continue; // the very file: nothing is replaced
    const sha = (await hashFile(s.path, blockSize).catch(() => undefined))?.sha256;
    const clash = users.find((m) => m.files.find((f) => f.name === s.name)!.sha256 !== sha);
    if (clash) {
      throw refuse(
        `component ${s.name} differs from the ${s.name} that ${clash.load} (${clash.model}) in ${o.outDir} lists: copying it would break that load; give it another name, pack into another folder, or --force to replace it`,
      );
    }
  }
}

/** Temporary name, sync, rename: readers see the old file or the whole new one. */
async function writeComplete(path: string, bytes: Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
