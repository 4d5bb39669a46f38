// Flash 20 times slower than the network, in every mode: the source is paused while
// flash lags, so what waits for flash stays at the pipeline's bound and the board's
// RSS does not grow with the file. Each run is a fresh process: its RSS is its own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { fetchDirect } from '../../../src/net/peer/fetch-direct';
import { silentLogger } from '../../../src/log/logger';
import { site } from './site';
import { testMedium } from './media';

const BLOCK = 64 * 1024;
const SIZE = 16 << 20;
/**
 * What may wait for flash: the pipeline's 16 blocks, plus what the source had in
 * flight when it was paused (the rest of a TCP read or a TFTP window: under 2 blocks).
 */
const QUEUE_BOUND = 18 * BLOCK;
/** The stated bound: RSS a 16 MiB file may add while it crawls onto flash. */
const RSS_BOUND = 8 << 20;
const FIXTURE = join(import.meta.dirname, 'fixtures', 'slow-flash-run.ts');

interface Run {
  mode: string;
  queued: number[];
  rssGrowth: number;
  peakRss: number;
  seconds: number;
  complete: number;
}

let runs: Promise<Run[]>;

test.before(async () => {
  // The network's rate on this machine now: the file into a medium with no limit.
  const s = await site(SIZE);
  let netRate: number;
  try {
    const t0 = performance.now();
    await fetchDirect({ name: s.file.name, plan: s.file.plan, medium: async () => testMedium({ device: 'ram', size: SIZE }), origin: s.origin, log: silentLogger });
    netRate = SIZE / ((performance.now() - t0) / 1000);
  } finally {
    await s.close();
  }
  const flash = Math.floor(netRate / 20);
  console.log(`  network ${(netRate / 2 ** 20).toFixed(1)} MiB/s; flash at 1/20 of it: ${(flash / 2 ** 20).toFixed(2)} MiB/s`);
  // Flash-bound, so the three runs can share the machine.
  runs = Promise.all(
    ['direct', 'peers', 'unbounded'].map(async (mode) => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', FIXTURE, mode, String(flash), String(SIZE)], { timeout: 150_000 });
      const r = JSON.parse(stdout.trim().split('\n').pop()!) as Run;
      console.log(`  ${mode}: ${r.seconds.toFixed(1)} s, queued for flash ${r.queued.join(', ')} B, RSS +${(r.rssGrowth / 2 ** 20).toFixed(1)} MiB (peak ${(r.peakRss / 2 ** 20).toFixed(0)} MiB)`);
      return r;
    }),
  );
});

const run = async (mode: string) => (await runs).find((r) => r.mode === mode)!;

test('plain TFTP, flash 20x slower than the network: the source waits, RSS stays under 8 MiB more', async () => {
  const r = await run('direct');
  assert.is(r.complete, 1, 'the file is on flash');
  assert.ok(r.queued[0]! <= QUEUE_BOUND, `queued for flash at most ${r.queued[0]} bytes`);
  assert.ok(r.rssGrowth < RSS_BOUND, `RSS grew ${(r.rssGrowth / 2 ** 20).toFixed(1)} MiB`);
});

test('root from the origin and child from its parent, both on flash 20x slower: bounded the same way', async () => {
  const r = await run('peers');
  assert.is(r.complete, 2, 'both boards have the file on flash');
  for (const q of r.queued) assert.ok(q <= QUEUE_BOUND, `queued for flash at most ${q} bytes`);
  assert.ok(r.rssGrowth < 2 * RSS_BOUND, `RSS grew ${(r.rssGrowth / 2 ** 20).toFixed(1)} MiB for two boards`);
});

test('teeth: the same slow flash without the pause holds most of the file, and the bound catches it', async () => {
  const r = await run('unbounded');
  assert.ok(r.queued[0]! > SIZE / 2, `queued ${r.queued[0]}`);
  assert.ok(r.rssGrowth > RSS_BOUND, `RSS grew ${(r.rssGrowth / 2 ** 20).toFixed(1)} MiB`);
});

test.run();
