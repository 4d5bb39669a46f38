// The scenario driver on the simulator: virtual time, so "until" steps events
// instead of waiting, and a run is the same every time for a given seed.
import { Simulation } from '../../../src/sim/simulate';
import type { Election } from '../../../src/dload/types';
import { BLOCK_BYTES, FILE_BYTES, scenarioTimers, WAN_BYTES_PER_S, WAN_RTT_MS, type Outcome, type Shell, type Site, type SiteSpec } from '../shell';

export function simShell(seed = 1, election: Election = 'fast'): Shell {
  return { name: 'sim', open: async (spec) => new SimSite(spec, seed, election) };
}

class SimSite implements Site {
  private readonly sim: Simulation;

  constructor(private readonly spec: SiteSpec, seed: number, election: Election) {
    this.sim = new Simulation({
      boards: spec.boards,
      models: spec.models ?? 1,
      fileBytes: FILE_BYTES,
      blockBytes: BLOCK_BYTES,
      seed,
      wanRate: WAN_BYTES_PER_S,
      wanRttMs: WAN_RTT_MS,
      election,
      timers: scenarioTimers(election),
      corrupt: spec.corruptServed ?? [],
      originCorrupt: spec.originCorrupt ?? false,
      // Every board waits for start(i); on loopback a closed socket is seen at once.
      late: { count: spec.boards },
      peerDeadMs: 100,
      maxSeconds: 600,
    });
  }

  id(i: number): number {
    return this.sim.world.boards[i]!.id;
  }

  status(i: number) {
    return this.sim.status(i)[0];
  }

  async until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const from = this.sim.now;
    if (!this.sim.runUntil(cond, from + timeoutMs)) {
      throw new Error(`sim: ${what} did not happen within ${timeoutMs} virtual ms (from ${from.toFixed(0)} ms)`);
    }
  }

  async start(i: number): Promise<void> {
    this.sim.boot(i);
  }

  async kill(i: number): Promise<void> {
    this.sim.crash(i);
  }

  async restart(i: number): Promise<void> {
    this.sim.restart(i);
  }

  async probe(i: number, offset: number): Promise<number> {
    const p = this.sim.probe(i, 0, offset);
    await this.until(() => p.status !== undefined, `board ${i}'s answer to a rogue StreamRequest at ${offset}`, 1000);
    return p.status!;
  }

  async spoofStallingParent(i: number): Promise<void> {
    if (!this.sim.spoofStallingParent(i)) throw new Error(`sim: board ${i} follows no root`);
  }

  async fakeRoot(held: number): Promise<void> {
    this.sim.fakeRoot(held);
  }

  async forgeBadParents(root: number, suspects: readonly number[]): Promise<void> {
    this.sim.forgeBadParents(root, suspects);
  }

  async settle(timeoutMs = 60_000): Promise<Outcome[]> {
    const n = this.spec.boards;
    const open = (i: number) => {
      const s = this.status(i);
      return s !== undefined && this.sim.alive(i) && !s.complete && s.role !== 'failed';
    };
    await this.until(() => !Array.from({ length: n }, (_, i) => open(i)).some(Boolean), 'every live board to settle', timeoutMs);
    return Array.from({ length: n }, (_, i): Outcome => {
      const s = this.sim.status(i)[0];
      // The simulator's flash holds exactly the verified blocks.
      const flash = { flashBytes: s?.verifiedBytes ?? 0, flashVerifiedBytes: s?.verifiedBytes ?? 0 };
      if (!s) return { board: i, state: 'not started', ...flash };
      if (!this.sim.alive(i)) return { board: i, state: 'killed', ...flash };
      if (s.failed) return { board: i, state: 'failed', code: s.failed, ...flash };
      return { board: i, state: 'verified', ...flash };
    });
  }

  wanBytes(model: number): number {
    return this.sim.world.stats.originByModel[model] ?? 0;
  }

  fetchedBytes(i: number): number {
    return this.sim.bytesIn(i);
  }

  async close(): Promise<void> {}
}
