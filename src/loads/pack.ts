import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PfsError } from '../errors';
import { DEFAULT_BLOCK_BYTES } from '../dload/integrity';
import { encodeSignedManifest, isPlainName, type LoadManifest, type ManifestFile } from './manifest';
import { readPrivateKey } from './keys';

export interface PackOptions {
  load: string;
  model: string;
  files: string[];
  keyPath: string;
  outDir: string;
  blockSize?: number;
  /** ISO time written into the manifest; default now (pass one for reproducible output). */
  created?: string;
}

export class PackError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_PACK', message);
  }
}

/** Whole-file and per-block SHA-256 of a file, read as a stream (firmware can be large). */
export async function hashFile(path: string, blockSize: number): Promise<{ size: number; sha256: string; blocks: string[] }> {
  const whole = createHash('sha256');
  const blocks: string[] = [];
  let block = createHash('sha256');
  let inBlock = 0;
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    whole.update(chunk);
    size += chunk.length;
    for (let off = 0; off < chunk.length; ) {
      const take = Math.min(blockSize - inBlock, chunk.length - off);
      block.update(chunk.subarray(off, off + take));
      inBlock += take;
      off += take;
      if (inBlock === blockSize) {
        blocks.push(block.digest('hex'));
        block = createHash('sha256');
        inBlock = 0;
      }
    }
  }
  if (inBlock > 0) blocks.push(block.digest('hex'));
  return { size, sha256: whole.digest('hex'), blocks };
}

/**
 * Makes a load: hashes every component, copies it into `outDir` (if it is not
 * there already), and writes `<outDir>/<load>.loads`, signed. Returns the manifest
 * file's size and SHA-256, which go into the device configuration.
 */
export async function packLoad(o: PackOptions): Promise<{ manifestPath: string; manifest: LoadManifest; size: number; sha256: string }> {
  if (!isPlainName(o.load)) throw new PackError(`load name "${o.load}" must be a plain name (letters, digits, . _ + -)`);
  if (!o.model) throw new PackError('no model given');
  if (o.files.length === 0) throw new PackError('no component files given');
  const blockSize = o.blockSize ?? DEFAULT_BLOCK_BYTES;
  const key = await readPrivateKey(o.keyPath);
  await mkdir(o.outDir, { recursive: true });
  const outReal = await realpath(o.outDir);
  const files: ManifestFile[] = [];
  const names = new Set<string>();
  for (const path of o.files) {
    const name = basename(path);
    if (!isPlainName(name)) throw new PackError(`component "${name}" needs a plain file name`);
    if (names.has(name)) throw new PackError(`two components are named "${name}"`);
    names.add(name);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) throw new PackError(`component ${path} is not a file`);
    const h = await hashFile(path, blockSize);
    files.push({ name, size: h.size, sha256: h.sha256, blockSize, blocks: h.blocks });
    if ((await realpath(dirname(path))) !== outReal) await copyFile(path, join(o.outDir, name));
  }
  const manifest: LoadManifest = { format: 'pfs-load/1', load: o.load, model: o.model, created: o.created ?? new Date().toISOString(), files };
  const bytes = encodeSignedManifest(manifest, key);
  const manifestPath = join(o.outDir, `${o.load}.loads`);
  await writeFile(manifestPath, bytes);
  return { manifestPath, manifest, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
