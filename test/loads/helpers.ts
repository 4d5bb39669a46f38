import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeys } from '../../src/loads/keys';
import { ManifestError } from '../../src/loads/manifest';
import { createLogger } from '../../src/log/logger';

/** A temporary folder with a key pair `site`, a board trust/ holding its public half, and build/. */
export async function workspace() {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-loads-'));
  await mkdir(join(dir, 'trust'));
  await mkdir(join(dir, 'build'));
  const k = await generateKeys(join(dir, 'site'));
  await copyFile(k.publicPath, join(dir, 'trust', 'site.pub.pem'));
  return { dir, key: k.privatePath, keyId: k.id, trust: join(dir, 'trust'), build: join(dir, 'build'), close: () => rm(dir, { recursive: true, force: true }) };
}

/** assert.throws predicate: a ManifestError with this code (and message matching `re`, if given). */
export const manifestCode = (code: string, re?: RegExp) => (e: unknown) => e instanceof ManifestError && e.code === code && (re === undefined || re.test(e.message));

/** Resolves to the error `p` rejects with (or fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** A logger that keeps its lines, and what the command wrote to standard output meanwhile. */
export async function runCaptured(run: (log: ReturnType<typeof createLogger>) => Promise<number>) {
  const logLines: string[] = [];
  const log = createLogger('PFS', { level: 'DBG', sinks: [{ writeLine: (l) => logLines.push(l) }] });
  let stdout = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  try {
    const status = await run(log);
    return { status, stdout, logLines };
  } finally {
    process.stdout.write = write;
  }
}
