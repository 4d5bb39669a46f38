// The simulator's summary: the fleet figures every run reports, plus what only a
// simulation can count, read off the boards' engines at the end of a run.
import type { FileFailureCode } from '../dload/types';
import type { FleetSummary } from './summary';
import type { World } from './world';

/** A file a board gave up (FileFailed): board index, file index, why. */
export interface FileFailure {
  board: number;
  file: number;
  code: FileFailureCode;
}

/** The simulator's summary: the fleet figures plus what only a simulation can count. */
export interface SimSummary extends FleetSummary {
  models: number;
  blockBytes: number;
  /** Per hierarchy (model-major, then file): boards that are root at the end. */
  rootsPerFile: number[];
  /** Per hierarchy: index of the board that is root at the end (-1: none). */
  rootBoards: number[];
  /** Per hierarchy: root terms that started (1 = no re-election). */
  rootTerms: number[];
  /** Per hierarchy: boards that sent a claim (ClaimRoot) at least once. */
  claimants: number[];
  /** Per hierarchy: virtual ms when the first root confirmed. */
  electionMs: number[];
  /** Bytes the origin sent per model (originBytes split by the model that fetched). */
  originBytesByModel: number[];
  crashed: number;
  /** Crashed boards that booted again (keeping their verified blocks). */
  restarts: number;
  /** Boards that rebooted into their new load once done (SimOptions.reboot). */
  rebooted: number;
  /** Boards frozen (SIGSTOP) for a while or for good. */
  frozen: number;
  /** Per model: parents dropped for stalling, and roots boards left (corrupt, unanswered, failing placements). */
  stalls: number;
  rootsLeft: number;
  /** Boards alive at the end that neither verified nor gave up every file (frozen ones excluded). */
  unfinished: number;
  /** Blocks a parent sent that it had not verified itself (a bad byte passed on; must be 0). */
  badDeliveries: number;
  /** Files boards gave up (counted neither verified nor pending); allVerified is false if any. */
  failed: FileFailure[];
  datagramsSent: number;
  datagramsLost: number;
  datagramsDropped: number;
  corruptDetected: number;
  parentChanges: number;
  events: number;
  wallMs: number;
}

export function summarize(w: World, wallMs: number): SimSummary {
  const { c, stats } = w;
  const h = c.models * c.files;
  const rootsPerFile: number[] = Array(h).fill(0);
  const rootTerms: number[] = Array(h).fill(0);
  const claimed: Set<number>[] = Array.from({ length: h }, () => new Set());
  const rootBoards: number[] = Array(h).fill(-1);
  const failed: FileFailure[] = [];
  let maxChildren = 0;
  let dropped = 0;
  let parentChanges = 0;
  let stalls = 0;
  let rootsLeft = 0;
  let unfinished = 0;
  let allVerified = w.finishedAt >= 0 && stats.badDelivery === 0;
  for (const b of w.boards) {
    b.fs.forEach((fs, f) => fs.failed && failed.push({ board: b.i, file: f, code: fs.failed }));
    if (b.alive && b.fs.some((fs) => !fs.done)) allVerified = false;
    if (b.alive && b.booted && !w.frozen(b) && (b.fs.length < c.files || b.fs.some((fs) => !fs.done && !fs.failed))) unfinished++;
    for (const node of [...b.retired, ...(b.node ? [b.node] : [])]) {
      const cnt = node.counters;
      dropped += cnt.droppedMalformed + cnt.droppedVersion + cnt.droppedForeignKey;
      const current = node === b.node;
      b.fs.forEach((fs, f) => {
        // A component a board never added (it did not get the manifest) has no session.
        const s = node.session(fs.key);
        if (!s) return;
        const k = b.model * c.files + f;
        if (current && b.alive && s.role === 'root') {
          rootsPerFile[k]!++;
          rootBoards[k] = b.i;
        }
        rootTerms[k]! += s.stats.rootTerms;
        if (s.stats.claims > 0) claimed[k]!.add(b.i);
        maxChildren = Math.max(maxChildren, s.stats.maxChildren);
        parentChanges += s.stats.parentChanges;
        stalls += s.stats.stalls;
        rootsLeft += s.stats.rootsLeft;
      });
    }
  }
  if (failed.length > 0) allVerified = false;
  const tftp = c.mode === 'tftp';
  return {
    boards: c.n, mode: c.mode, forward: c.forward, files: c.files, models: c.models, fileBytes: c.fileBytes, blockBytes: c.blockBytes,
    originBytes: stats.originBytes,
    fleetSeconds: w.finishedAt >= 0 ? w.finishedAt / 1000 : Infinity,
    limitSeconds: c.limitMs / 1000,
    allVerified,
    maxDepth: stats.maxDepth,
    maxChildren,
    rootsPerFile: tftp ? [] : rootsPerFile,
    rootBoards: tftp ? [] : rootBoards,
    rootTerms: tftp ? [] : rootTerms,
    claimants: tftp ? [] : claimed.map((c) => c.size),
    electionMs: w.electionMs,
    originBytesByModel: stats.originByModel,
    crashed: stats.crashed,
    restarts: stats.restarts,
    rebooted: stats.rebooted,
    frozen: stats.frozen,
    stalls,
    rootsLeft,
    unfinished,
    badDeliveries: stats.badDelivery,
    failed,
    datagramsSent: stats.sent,
    datagramsLost: stats.lost,
    datagramsDropped: dropped,
    corruptDetected: stats.corrupt,
    parentChanges,
    events: w.events,
    wallMs,
  };
}
