// What the WAN waits for before the first firmware byte: runs `pfs lab --keep` and
// reads the boards' `timing:` lines (the probe in src/boot/upgrade.ts, boot.ts and
// src/net/peer/peer-node.ts: ms since the board's process started) back from its
// logs. Per model: reset -> configuration done -> manifest root takes data ->
// manifest verified -> every component's root takes data -> the root's first
// component byte. Issue 12's target: first component byte <= configuration + 0.5 s.
//
//   unshare -n sh -c 'ip link set lo up; node --import tsx bench/first-byte.ts \
//     [--pfs dist/pfs.cjs[,other.cjs]] [--runs N] [--json] -- [lab options]'
//
// With several --pfs builds the runs alternate between them (before/after in one run
// of the machine's load). The lab folders are removed afterwards.
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';

interface Mark {
  ms: number;
  file?: string;
}

/** One board's `timing:` lines by milestone, in log order. */
async function boardMarks(path: string): Promise<Map<string, Mark[]>> {
  const out = new Map<string, Mark[]>();
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    const m = /timing: ([^=]+?) ms=(\d+)(?: file=(\S+))?\s*$/.exec(line);
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    list.push({ ms: Number(m[2]), file: m[3] });
    out.set(m[1]!, list);
  }
  return out;
}

export interface Breakdown {
  /** ms after the reset of the board that became the manifest's root, per milestone. */
  config: number;
  manifestRoot: number;
  manifestVerified: number;
  /** The last component's root taking data. */
  componentRoots: number;
  /** The earliest component byte from the origin at any root. */
  firstComponentByte: number;
}

/** Per model (its manifest's name), the breakdown seen from the boards' logs in `dir`. */
export async function breakdown(dir: string): Promise<Map<string, Breakdown>> {
  const boards = await Promise.all((await readdir(join(dir, 'logs'))).filter((f) => f.endsWith('.log')).map((f) => boardMarks(join(dir, 'logs', f))));
  const at = (b: Map<string, Mark[]>, what: string, file?: (f: string) => boolean) => {
    const zero = b.get('reset')?.[0]?.ms ?? 0;
    return (b.get(what) ?? []).filter((m) => !file || (m.file !== undefined && file(m.file))).map((m) => m.ms - zero);
  };
  // Which components belong to which manifest: the files a board took after verifying it.
  const out = new Map<string, Breakdown>();
  for (const root of boards) {
    const zero = root.get('reset')?.[0]?.ms ?? 0;
    for (const took of (root.get('root takes data from the origin') ?? []).filter((m) => m.file?.endsWith('.loads'))) {
      const manifest = took.file!;
      if (out.has(manifest)) continue; // a second root of the same manifest (a re-election): the first one counts
      // Boards of this model: those that verified this manifest; its components: the files they joined after.
      const model = boards.filter((b) => (b.get('manifest verified') ?? []).some((m) => m.file === manifest));
      const joined = model.flatMap((b) => [...(b.get('root takes data from the origin') ?? []), ...(b.get('member connects to its parent') ?? [])]);
      const components = new Set(joined.map((m) => m.file!).filter((f) => !f.endsWith('.loads')));
      const inModel = (f: string) => components.has(f);
      const rootsTake = model.flatMap((b) => at(b, 'root takes data from the origin', inModel));
      const firstBytes = model.flatMap((b) => at(b, 'first byte from the origin', inModel));
      out.set(manifest, {
        config: at(root, 'configuration done')[0] ?? NaN,
        manifestRoot: took.ms - zero,
        manifestVerified: at(root, 'manifest verified')[0] ?? NaN,
        componentRoots: rootsTake.length ? Math.max(...rootsTake) : NaN,
        firstComponentByte: firstBytes.length ? Math.min(...firstBytes) : NaN,
      });
    }
  }
  return out;
}

/** Runs one lab with `pfs` and returns its summary and breakdown. */
async function runLab(pfs: string, labArgs: string[]): Promise<{ summary: Record<string, unknown>; models: Map<string, Breakdown> }> {
  const child = spawn(process.execPath, [pfs, 'lab', '--keep', '--json', ...labArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const dir = /lab folder kept: (\S+)/.exec(stderr)?.[1];
  if (code !== 0 || !dir) throw new Error(`pfs lab exited ${code}${dir ? '' : ' without a kept folder'}:\n${stderr.slice(-2000)}`);
  try {
    return { summary: JSON.parse(stdout) as Record<string, unknown>, models: await breakdown(dir) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const s = (ms: number) => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const cut = argv.indexOf('--');
  const own = cut < 0 ? argv : argv.slice(0, cut);
  const labArgs = cut < 0 ? ['--boards', '8', '--size', '8M', '--wan-rate', '10mbit', '--wan-rtt', '150ms'] : argv.slice(cut + 1);
  const opt = (name: string) => {
    const i = own.indexOf(name);
    return i < 0 ? undefined : own[i + 1];
  };
  const builds = (opt('--pfs') ?? 'dist/pfs.cjs').split(',');
  const runs = Number(opt('--runs') ?? '1');
  const json = own.includes('--json');
  const rows: Record<string, unknown>[] = [];
  for (let r = 0; r < runs; r++) {
    for (const pfs of builds) {
      const load = loadavg()[0]!.toFixed(2);
      const { summary, models } = await runLab(pfs, labArgs);
      const all = [...models.values()];
      const row = {
        pfs,
        run: r + 1,
        loadAvg: Number(load),
        fleetSeconds: summary.fleetSeconds,
        limitSeconds: summary.limitSeconds,
        // What crossed the WAN per model's set (manifest included), as the lab counts it.
        wanCopies: Number(summary.originBytes) / (Number(summary.models) * Number(summary.fileBytes)),
        config: mean(all.map((b) => b.config)),
        manifestRoot: mean(all.map((b) => b.manifestRoot)),
        manifestVerified: mean(all.map((b) => b.manifestVerified)),
        componentRoots: mean(all.map((b) => b.componentRoots)),
        firstComponentByte: mean(all.map((b) => b.firstComponentByte)),
        // Each model's root on its own (the target is per root): first component byte - its configuration, ms.
        perModel: Object.fromEntries([...models].map(([manifest, b]) => [manifest, Math.round(b.firstComponentByte - b.config)])),
      };
      rows.push(row);
      if (!json) {
        console.log(
          `${pfs} run ${row.run} (load ${load}): fleet ${summary.fleetSeconds} s, WAN ${row.wanCopies.toFixed(4)} x the set; s after reset, mean of ${all.length} models: ` +
            `config ${s(row.config)}, manifest root ${s(row.manifestRoot)}, manifest verified ${s(row.manifestVerified)}, ` +
            `component roots ${s(row.componentRoots)}, first component byte ${s(row.firstComponentByte)} ` +
            `(= config + ${s(row.firstComponentByte - row.config)}; per model: ` +
            `${[...models].map(([m, b]) => `+ ${s(b.firstComponentByte - b.config)} ${m.replace(/\.loads$/, '')}`).join(', ')})`,
        );
      }
    }
  }
  if (json) console.log(JSON.stringify(rows));
}

if (process.argv[1]?.endsWith('first-byte.ts')) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
