// The campaign behind `npm run torture` and its short version in npm test
// (test/bench/torture.test.ts): `pfs boot` (the bundle, a process of its own) killed
// with SIGKILL at random moments of its upgrade, on every flash back-end, then booted
// again until it finishes. A power cut must never leave a board that cannot boot
// (bricked) or that runs a load whose bytes are not the signed ones (wrong).
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng } from '../src/sim/rng';
import { TftpServer } from '../src/net/tftp/server';
import { WanEmulator } from '../src/net/wan';
import { loadModels, type BoardProfile } from '../src/profiles';
import { prepareSite } from '../src/lab/site';
import { createFlashImages, openFlash } from '../src/hal/flash/open';
import { readActiveFile } from '../test/helpers/flash';

export type Backend = 'dir' | 'mtd' | 'block';
export const BACKENDS: Backend[] = ['dir', 'mtd', 'block'];

const FLASH: Record<Backend, BoardProfile['flash']> = {
  dir: { backend: 'dir', path: 'flash' },
  mtd: { backend: 'mtd', path: 'flash/pointer.mtd', slots: ['flash/a.mtd', 'flash/b.mtd'] },
  block: { backend: 'block', path: 'flash/pointer.img', slots: ['flash/a.img', 'flash/b.img'] },
};

export interface TortureTally {
  backend: Backend;
  /** SIGKILLs delivered while `pfs boot` ran. */
  kills: number;
  /** Boards (one per cycle) that then finished on the new load, its bytes the origin's. */
  recovered: number;
  /** Boards run through kills, one per cycle. */
  cycles: number;
  /** Boards whose flash could not be opened, or that did not reach the new load in 4 runs after the kills. */
  bricked: number;
  /** Boards that ran a load whose components are not the origin's bytes. */
  wrong: number;
  /** Right after a kill, what a power-on would boot: the old load (or none) or the new one. */
  afterKill: Record<string, number>;
  problems: string[];
  /** Runs after the kills that failed and were started again (the board kept a bootable load): not bricked. */
  failedRuns: string[];
}

const BUNDLE = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../dist/pfs.cjs');

/**
 * Runs `cycles` cycles per back-end: a fresh board (dir: on the older load; mtd and
 * block: blank partitions), `killsPerCycle` runs of `pfs boot` each killed at a random
 * moment of a run's usual length, then one run to its end; after each kill and at the
 * end the flash is opened as a power-on would and checked.
 */
export async function torture(o: { backends?: Backend[]; cycles: number; minKills?: number; killsPerCycle: number; seed: number; progress?: (line: string) => void }): Promise<TortureTally[]> {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-torture-'));
  const server = new TftpServer({ root: join(dir, 'origin'), port: 0, pipeline: 2, maxWindowsize: 128, maxPerClient: 4096 });
  let wan: WanEmulator | undefined;
  const rng = new Rng(o.seed);
  const out: TortureTally[] = [];
  try {
    await mkdir(join(dir, 'origin'));
    await server.start();
    // A WAN slow enough that the download is most of a run: kills land in every phase.
    wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), rate: 20e6, rttMs: 4 });
    await wan.start();
    const wanPort = wan.address().port;
    const models = await loadModels('boards');
    const s = await prepareSite(join(dir, 'site'), {
      models: [{ profile: models.get('CP-7961G')!, count: 1 }],
      size: 1 << 20,
      files: 2,
      enterprisePfs: false,
      pfsOff: 0,
      server: () => ({ host: '127.0.0.1', port: wanPort }),
      boardConfig: () => ({ addr: '127.0.0.1' }),
    });
    await cp(s.originDir, join(dir, 'origin'), { recursive: true });
    const load = s.loads.get('CP-7961G')!;
    const want = new Map<string, Buffer>();
    for (const name of s.componentNames) want.set(name, await readFile(join(s.originDir, name)));
    const boards = join(dir, 'boards');
    await cp('boards', boards, { recursive: true });
    const sim = JSON.parse(await readFile('boards/sim.json', 'utf8'));
    for (const b of BACKENDS) await writeFile(join(boards, `sim-${b}.json`), JSON.stringify({ ...sim, board: `sim-${b}`, flash: FLASH[b] }));
    const template = s.boards[0]!.root;

    for (const backend of o.backends ?? BACKENDS) {
      const t: TortureTally = { backend, kills: 0, recovered: 0, cycles: 0, bricked: 0, wrong: 0, afterKill: {}, problems: [], failedRuns: [] };
      out.push(t);
      const boardName = `sim-${backend}`;
      const fresh = async (root: string) => {
        await rm(root, { recursive: true, force: true });
        await cp(template, root, { recursive: true });
        if (backend !== 'dir') {
          await rm(join(root, 'flash'), { recursive: true, force: true });
          await createFlashImages(FLASH[backend], { root, boardName, slotBytes: 4 << 20 });
        }
      };
      const boot = (root: string, killAfterMs?: number) => runBoot(['boot', '--board', boardName, '--boards-dir', boards, '--root', root, '--server', `127.0.0.1:${wanPort}`, '--config-tries', '3'], killAfterMs);
      // The usual length of a run, from one that is not killed.
      const probe = join(dir, `probe-${backend}`);
      await fresh(probe);
      const t0 = performance.now();
      const first = await boot(probe);
      const runMs = performance.now() - t0;
      if (first.code !== 10) throw new Error(`${backend}: an uninterrupted pfs boot ended with ${first.code}: ${first.out.slice(-2000)}`);
      const before = backend === 'dir' ? 'SCCP41.9-3-1SR1-1S' : null;
      // A kill that lands after the run ended is no kill point: cycles go on until there are `minKills`.
      for (let c = 0; c < o.cycles || t.kills < (o.minKills ?? 0); c++) {
        const root = join(dir, `board-${backend}`);
        t.cycles++;
        await fresh(root);
        for (let k = 0; k < o.killsPerCycle; k++) {
          const at = 20 + rng.u32() % Math.max(1, Math.round(runMs * 1.1));
          const r = await boot(root, at);
          if (!r.killed) continue; // it finished first: that is a run, not a kill point
          t.kills++;
          const seen = await inspect(FLASH[backend], root, boardName, want);
          if (seen.error) {
            t.bricked++;
            t.problems.push(`${backend} cycle ${c} kill at ${at} ms: ${seen.error}`);
            break;
          }
          if (seen.load !== before && seen.load !== load) {
            t.wrong++;
            t.problems.push(`${backend} cycle ${c} kill at ${at} ms: boots ${seen.load}`);
          } else if (seen.load === load && !seen.right) {
            t.wrong++;
            t.problems.push(`${backend} cycle ${c} kill at ${at} ms: ${load}'s bytes are not the origin's`);
          }
          const phase = seen.load === load ? 'new load' : seen.load === null ? 'no load (blank)' : 'old load';
          t.afterKill[phase] = (t.afterKill[phase] ?? 0) + 1;
        }
        // As the init system would: a run that fails (the board kept a bootable load) is started again.
        let last = await boot(root);
        for (let again = 0; again < 3 && last.code !== 10 && last.code !== 0 && !(await inspect(FLASH[backend], root, boardName, want)).error; again++) {
          t.failedRuns.push(`${backend} cycle ${c}: a run after the kills ended with ${last.code} (started again): ${last.out.split('\n').filter((l) => l.startsWith('ERR')).join(' | ')}`);
          last = await boot(root);
        }
        const end = await inspect(FLASH[backend], root, boardName, want);
        if (end.error || (last.code !== 10 && last.code !== 0)) {
          t.bricked++;
          t.problems.push(`${backend} cycle ${c}: the run after the kills ended with ${last.code}${end.error ? `, ${end.error}` : ''}: ${last.out.split('\n').filter((l) => l.startsWith('ERR')).join(' | ')}`);
        } else if (end.load !== load || !end.right) {
          t.wrong++;
          t.problems.push(`${backend} cycle ${c}: ends on ${end.load}${end.right ? '' : ' with wrong bytes'}`);
        } else t.recovered++;
        o.progress?.(`${backend}: cycle ${c + 1}, ${t.kills} kills, recovered ${t.recovered}, bricked ${t.bricked}, wrong ${t.wrong}`);
      }
    }
  } finally {
    await wan?.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

/** Runs the bundle; SIGKILLs it after `killAfterMs` if it is still running. */
function runBoot(args: string[], killAfterMs?: number): Promise<{ code: number | null; killed: boolean; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let killed = false;
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, killAfterMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, killed: killed && code === null, out });
    });
  });
}

/** What a power-on finds: the load it would boot and whether its components are the origin's bytes. */
async function inspect(cfg: BoardProfile['flash'], root: string, boardName: string, want: Map<string, Buffer>): Promise<{ load: string | null; right: boolean; error?: string }> {
  const flash = openFlash(cfg, { root, boardName });
  try {
    await flash.open();
    // activeLoad(), not boot(): looking must not count a trial boot.
    const load = await flash.activeLoad();
    if (load === null) return { load, right: true };
    for (const [name, bytes] of want) {
      const got = await readActiveFile(flash, name);
      if (!got?.equals(bytes)) return { load, right: false };
    }
    return { load, right: true };
  } catch (e) {
    return { load: null, right: false, error: (e as Error).message };
  } finally {
    await flash.close?.().catch(() => {});
  }
}
