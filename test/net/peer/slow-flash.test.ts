// Flash 20 times slower than the network, in every mode: the source is paused while
// flash lags, so what waits for flash stays at the pipeline's bound and the board's
// RSS does not grow with the file. Each run is a fresh process: its RSS is its own,
// sampled after a full GC every 100 ms.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { generateFirmware } from '../../../src/lab/firmware';
import { fetchDirect } from '../../../src/net/peer/fetch-direct';
import { silentLogger } from '../../../src/log/logger';
import { site } from './site';
import { testMedium } from './media';
import { shareBudget } from '../../../src/net/tftp/sack-share';

const BLOCK = 64 * 1024;
const SIZE = 16 << 20;
/**
 * What may wait for flash: the pipeline's 16 blocks, plus what the source had in
 * flight when it was paused (the rest of a TCP read: under 2 blocks; a TFTP transfer
 * with sack: its room, at most the board's share, all of it for a transfer alone: what
 * a flash of that pace writes in 250 ms, at least 1 MiB; docs/TFTP.md). Set once the
 * flash's rate is known (test.before).
 */
let QUEUE_BOUND = 0;
/**
 * The stated bounds, for one board taking a 16 MiB file onto slow flash: its RSS grows
 * less than 10 MiB, and the Buffers it holds less than 4 MiB (measured after a GC:
 * what it holds, not datagram garbage waiting to be collected). Without the pause the
 * same run holds the whole file: about 16 MiB of Buffers, 22-28 MiB of RSS.
 */
const RSS_BOUND = 10 << 20;
const BUFFERS_BOUND = 4 << 20;
const FIXTURE = join(import.meta.dirname, 'fixtures', 'slow-flash-run.ts');

interface Run {
  mode: string;
  queued: number[];
  rssGrowth: number;
  peakRss: number;
  buffersGrowth: number;
  seconds: number;
  complete: number;
}

let runs: Promise<Run[]>;
let origin: string;

test.before(async () => {
  origin = await mkdtemp(join(tmpdir(), 'pfs-slow-flash-'));
  const [file] = await generateFirmware(origin, { files: 1, totalBytes: SIZE, blockSize: BLOCK, load: 'T', seed: 'slow-flash' });
  const planPath = join(origin, 'plan.json');
  await writeFile(planPath, JSON.stringify({ name: file!.name, size: SIZE, blockSize: BLOCK, hashes: file!.plan.hashes.map((h) => h.toString('hex')) }));
  // The network's rate on this machine now: the file into a medium with no limit.
  const s = await site(SIZE, { dir: origin, file: file! });
  let netRate: number;
  try {
    const t0 = performance.now();
    await fetchDirect({ name: s.file.name, plan: s.file.plan, medium: async () => testMedium({ device: 'ram', size: SIZE }), origin: s.origin, log: silentLogger });
    netRate = SIZE / ((performance.now() - t0) / 1000);
  } finally {
    await s.close();
  }
  const flash = Math.floor(netRate / 20);
  QUEUE_BOUND = 18 * BLOCK + shareBudget(flash);
  console.log(`  network ${(netRate / 2 ** 20).toFixed(1)} MiB/s; flash at 1/20 of it: ${(flash / 2 ** 20).toFixed(2)} MiB/s`);
  // --expose-gc: the run samples its memory after a full GC.
  const once = async (mode: string, rate: number): Promise<Run> => {
    const args = ['--expose-gc', '--import', 'tsx', FIXTURE, mode, String(rate), origin, planPath];
    const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 150_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as Run;
    console.log(`  ${mode}${rate ? '' : ' (flash unlimited)'}: ${r.seconds.toFixed(1)} s, queued for flash ${r.queued.join(', ')} B, RSS +${(r.rssGrowth / 2 ** 20).toFixed(1)} MiB (peak ${(r.peakRss / 2 ** 20).toFixed(0)} MiB), Buffers +${(r.buffersGrowth / 2 ** 20).toFixed(1)} MiB`);
    return r;
  };
  // Flash-bound, so the slow runs can share the machine. The run without the pause has
  // its flash held shut until the whole file has come in (then unlimited): its teeth
  // must not hang on how fast the network happened to be. At a rate of its own, three
  // runs at once on a loaded machine slowed the network to a few times the flash's rate
  // (fresh-clone CI runs: 8.3 MB piled up at 1/20, 6.5 MB at 1/40, 10.5 MB at 1/80 with
  // RSS +7.4 MiB, under the bound the teeth must break).
  runs = Promise.all([once('direct', flash), once('peers', flash), once('unbounded', 0)]);
});

test.after(async () => {
  await runs.catch(() => {});
  await rm(origin, { recursive: true, force: true });
});

const run = async (mode: string) => (await runs).find((r) => r.mode === mode)!;

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

test('plain TFTP, flash 20x slower than the network: the source waits, RSS grows less than 10 MiB', async () => {
  const r = await run('direct');
  assert.is(r.complete, 1, 'the file is on flash');
  assert.ok(r.queued[0]! <= QUEUE_BOUND, `queued for flash at most ${r.queued[0]} bytes`);
  assert.ok(r.rssGrowth < RSS_BOUND, `RSS grew ${mib(r.rssGrowth)}`);
  assert.ok(r.buffersGrowth < BUFFERS_BOUND, `Buffers grew ${mib(r.buffersGrowth)}`);
});

test('root from the origin and child from its parent, both on flash 20x slower: bounded the same way', async () => {
  const r = await run('peers');
  assert.is(r.complete, 2, 'both boards have the file on flash');
  for (const q of r.queued) assert.ok(q <= QUEUE_BOUND, `queued for flash at most ${q} bytes`);
  assert.ok(r.rssGrowth < 2 * RSS_BOUND, `RSS grew ${mib(r.rssGrowth)} for two boards`);
  assert.ok(r.buffersGrowth < 2 * BUFFERS_BOUND, `Buffers grew ${mib(r.buffersGrowth)} for two boards`);
});

test('teeth: without the pause, flash held shut holds the whole file, and every bound catches it', async () => {
  const r = await run('unbounded');
  // The whole file waits for flash; each bound above must fail, the queue's by twice its bound.
  assert.is(r.complete, 1, 'the file is on flash once it opens');
  assert.is(r.queued[0], SIZE, 'the whole file waited for flash');
  assert.ok(r.queued[0]! > 2 * QUEUE_BOUND, `queued ${r.queued[0]}, bound ${QUEUE_BOUND}`);
  assert.ok(r.rssGrowth > RSS_BOUND, `RSS grew ${mib(r.rssGrowth)}`);
  assert.ok(r.buffersGrowth > BUFFERS_BOUND * 1.5, `Buffers grew ${mib(r.buffersGrowth)}`);
});

test.run();
