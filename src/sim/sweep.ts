// The simulator's fault sweep: one seeded run per seed, each with faults drawn from
// that seed (a root that corrupts what it forwards, boards frozen with their
// connections open, crashes, a partition, datagram loss, scheduling delay), and a
// tally of what must never happen: a board that never finishes, a block passed on
// unverified, and the WAN copies each model cost against the root changes forced.
import type { FreezeSpec, SimOptions } from './config';
import { Rng } from './rng';
import { simulate, type SimSummary } from './simulate';

/** The faults and fleet one seed of the sweep runs with (same seed, same options). */
export function sweepOptions(seed: number): SimOptions {
  const r = new Rng(seed ^ 0x5eed5eed);
  const boards = 8 + r.int(33);
  const models = 1 + r.int(2);
  const fileBytes = (4 + r.int(29)) * 64 * 1024;
  // One model's set at 10 Mbit/s: the time the fleet's faults are spread over.
  const spanMs = 1000 + (models * fileBytes * 8) / 10e3;
  const at = () => 500 + r.next() * spanMs;
  const who = (): FreezeSpec['who'] => {
    const k = r.int(3);
    return k === 0 ? 'root' : k === 1 ? 'parent' : r.int(boards);
  };
  const freezes: FreezeSpec[] = Array.from({ length: r.int(3) }, () => ({ atMs: at(), forMs: r.next() < 0.5 ? Infinity : 1000 + r.next() * 44_000, who: who() }));
  return {
    boards, models, fileBytes, seed,
    loss: r.next() < 0.5 ? 0 : r.next() * 0.05,
    corruptRoot: r.next() < 0.3,
    corrupt: Array.from({ length: r.int(3) }, () => r.int(boards)),
    freezes,
    crashes: Array.from({ length: r.int(2) }, () => ({ atMs: at(), who: who() })),
    partitionUntilMs: r.next() < 0.25 ? 1000 + r.next() * 3000 : undefined,
    delayMs: r.next() < 0.3 ? 1 + r.next() * 49 : undefined,
    maxSeconds: 900,
  };
}

/** One seed's result, as the sweep keeps it. */
export interface SweepRun {
  seed: number;
  /** Boards alive and not frozen at the end that neither verified nor gave up every file. */
  unfinished: number;
  /** Blocks a parent sent that it had not verified itself. */
  badBlocks: number;
  /** Per model: origin bytes / one model's set (WAN copies), and root terms (1 + root changes). */
  copies: number[];
  rootTerms: number[];
  /** Seconds until every board alive at the end had settled (Infinity: never). */
  fleetSeconds: number;
  limitSeconds: number;
}

export interface SweepSummary {
  seeds: string;
  runs: number;
  /** Runs with a board that never finished, and how many boards in all. */
  runsUnfinished: number;
  boardsUnfinished: number;
  badBlocks: number;
  /** WAN copies per model: the largest, the mean, and how many models needed more than 1, 2, 3. */
  copiesMax: number;
  copiesMean: number;
  copiesOver: { '1': number; '2': number; '3': number };
  /** Models whose WAN copies exceeded 1 + the root changes forced (their root terms), counting a copy as 1.01 of the set. */
  copiesOverRootTerms: number;
  models: number;
  rootTermsMax: number;
  /** Faults the runs had, summed. */
  faults: { corruptRoots: number; corruptBoards: number; frozen: number; crashed: number; partitions: number; delayed: number; lossy: number };
  /** The slowest settled run (fleet seconds / limit) and its seed. */
  worstRatio: number;
  worstSeed: number;
  /** Seeds that had an unfinished board or a bad block (the first 20), to replay with --seeds S..S. */
  failedSeeds: number[];
  wallSeconds: number;
}

/**
 * Runs seeds `from`..`to` (inclusive); `each` sees every run (for progress). `extra`
 * is laid over every seed's options (e.g. `{ election: 'phone' }`, `{ starveMs: 1000 }`).
 */
export function sweep(from: number, to: number, each?: (run: SweepRun, s: SimSummary) => void, extra: Partial<SimOptions> = {}): SweepSummary {
  const t0 = performance.now();
  const out: SweepSummary = {
    seeds: `${from}..${to}`, runs: 0, runsUnfinished: 0, boardsUnfinished: 0, badBlocks: 0,
    copiesMax: 0, copiesMean: 0, copiesOver: { '1': 0, '2': 0, '3': 0 }, copiesOverRootTerms: 0, models: 0, rootTermsMax: 0,
    faults: { corruptRoots: 0, corruptBoards: 0, frozen: 0, crashed: 0, partitions: 0, delayed: 0, lossy: 0 },
    worstRatio: 0, worstSeed: -1, failedSeeds: [], wallSeconds: 0,
  };
  let copiesSum = 0;
  for (let seed = from; seed <= to; seed++) {
    const o = { ...sweepOptions(seed), ...extra };
    const s = simulate(o);
    const copies = s.originBytesByModel.map((b) => b / s.fileBytes);
    const run: SweepRun = {
      seed, unfinished: s.unfinished, badBlocks: s.badDeliveries, copies, rootTerms: s.rootTerms,
      fleetSeconds: s.fleetSeconds, limitSeconds: s.limitSeconds,
    };
    out.runs++;
    if (run.unfinished > 0 || !Number.isFinite(s.fleetSeconds)) out.runsUnfinished++;
    out.boardsUnfinished += run.unfinished;
    out.badBlocks += run.badBlocks;
    if ((run.unfinished > 0 || run.badBlocks > 0 || !Number.isFinite(s.fleetSeconds)) && out.failedSeeds.length < 20) out.failedSeeds.push(seed);
    copies.forEach((c, m) => {
      out.models++;
      copiesSum += c;
      out.copiesMax = Math.max(out.copiesMax, c);
      if (c > 1.01) out.copiesOver['1']++;
      if (c > 2.01) out.copiesOver['2']++;
      if (c > 3.01) out.copiesOver['3']++;
      // Root terms are per file (model × files + file); a model's copies may reach its most-changed file's.
      const terms = Math.max(1, ...s.rootTerms.slice(m * s.files, (m + 1) * s.files));
      out.rootTermsMax = Math.max(out.rootTermsMax, terms);
      if (c > terms + 0.01) out.copiesOverRootTerms++;
    });
    const ratio = s.fleetSeconds / s.limitSeconds;
    if (Number.isFinite(ratio) && ratio > out.worstRatio) {
      out.worstRatio = ratio;
      out.worstSeed = seed;
    }
    const f = out.faults;
    if (o.corruptRoot) f.corruptRoots++;
    f.corruptBoards += o.corrupt?.length ?? 0;
    f.frozen += s.frozen;
    f.crashed += s.crashed;
    if (o.partitionUntilMs !== undefined) f.partitions++;
    if (o.delayMs !== undefined) f.delayed++;
    if ((o.loss ?? 0) > 0) f.lossy++;
    each?.(run, s);
  }
  out.copiesMean = out.models ? copiesSum / out.models : 0;
  out.wallSeconds = (performance.now() - t0) / 1000;
  return out;
}
