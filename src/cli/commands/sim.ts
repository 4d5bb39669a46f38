import { UsageError } from '../../errors';
import { intOption, parse, type Command } from '../command';
import { parseMs, parseRate, parseSize } from '../../units/parse';
import { simulate, type SimSummary } from '../../sim/simulate';
import { sweep, type SweepSummary } from '../../sim/sweep';
import { electionOption } from '../election-option';

function sweepText(s: SweepSummary): string {
  const f = s.faults;
  return [
    `seeds        ${s.seeds}: ${s.runs} runs with faults, ${s.wallSeconds.toFixed(1)} s real time`,
    `faults       corrupting roots ${f.corruptRoots}, corrupting boards ${f.corruptBoards}, frozen boards ${f.frozen}, crashes ${f.crashed}, partitions ${f.partitions}, scheduling delay ${f.delayed}, lossy ${f.lossy}`,
    `never finish ${s.boardsUnfinished} boards in ${s.runsUnfinished} runs`,
    `bad blocks   ${s.badBlocks} passed on unverified`,
    `WAN copies   per model: max ${s.copiesMax.toFixed(2)}, mean ${s.copiesMean.toFixed(3)} over ${s.models} models; >1: ${s.copiesOver['1']}, >2: ${s.copiesOver['2']}, >3: ${s.copiesOver['3']}; above its root terms: ${s.copiesOverRootTerms} (most root terms ${s.rootTermsMax})`,
    `slowest      ${s.worstRatio.toFixed(1)} x the limit (seed ${s.worstSeed})`,
    s.failedSeeds.length ? `failed seeds ${s.failedSeeds.join(' ')}` : '',
  ].filter(Boolean).join('\n');
}

function fraction(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || n < 0 || n >= 1) throw new UsageError(`--${name} must be a fraction in [0, 1), got "${value}"`);
  return n;
}

function human(s: SimSummary): string {
  const mib = (b: number) => (b / 1024 / 1024).toFixed(2) + ' MiB';
  return [
    `boards       ${s.boards} (${s.models} model${s.models > 1 ? 's' : ''}), mode ${s.mode}, forward ${s.forward}`,
    `files        ${s.files} x ${mib(s.fileBytes / s.files)} = ${mib(s.fileBytes)} per model, blocks of ${s.blockBytes / 1024} KiB`,
    `fleet        ${s.fleetSeconds.toFixed(2)} s virtual (limit ${s.limitSeconds.toFixed(2)} s, ratio ${(s.fleetSeconds / s.limitSeconds).toFixed(2)})`,
    `origin       ${mib(s.originBytes)} over the WAN (${(s.originBytes / s.fileBytes).toFixed(3)} x the set)`,
    `verified     ${s.allVerified ? 'all boards' : 'NOT ALL BOARDS'}${s.crashed ? ` (${s.crashed} crashed)` : ''}${s.rebooted ? `; ${s.rebooted} rebooted into the new load before the last was done` : ''}`,
    s.mode === 'pfs' ? `election     first root took data at [${s.electionMs.map((t) => (t / 1000).toFixed(2)).join(', ')}] s; boards that claimed per file [${s.claimants.join(', ')}]` : '',
    s.mode === 'pfs' ? `tree         max depth ${s.maxDepth}, max children ${s.maxChildren}, roots per file [${s.rootsPerFile.join(', ')}], root terms [${s.rootTerms.join(', ')}]` : '',
    `datagrams    ${s.datagramsSent} sent, ${s.datagramsLost} lost, ${s.datagramsDropped} dropped as malformed/foreign; ${s.corruptDetected} corrupt blocks caught`,
    `simulator    ${s.events} events in ${(s.wallMs / 1000).toFixed(2)} s real time`,
  ].filter(Boolean).join('\n');
}

export const simCommand: Command = {
  path: ['sim'],
  summary: 'simulate a fleet upgrade with the DLoad engine (virtual time, deterministic)',
  usage: `Usage: pfs sim [--boards N] [--seed S] [--size 8M] [--files K] [--loss P] [--crash K]
               [--forward cut|store] [--mode pfs|tftp] [--election fast|phone]
               [--starve TIME] [--boot-jitter TIME] [--manifest] [--reboot] [--json]
       pfs sim --seeds A..B [--election fast|phone] [--starve TIME] [--manifest] [--reboot] [--json]

Runs the DLoad engine of N boards over a simulated subnet and WAN with a virtual
clock: same seed, same result. Prints a summary (or one JSON object with --json)
with the fields the lab reports.

Options:
  --boards N          boards on the subnet (default 256)
  --seed S            random seed (default 1)
  --size SIZE         bytes of the firmware set per model, e.g. 8M, 512K (default 8M)
  --files K           files the set is split into (default 1)
  --block SIZE        block size the hashes cover (default 64K)
  --models M          phone models on the subnet, each with its own set (default 1)
  --loss P            probability a datagram is lost, 0..0.99 (default 0)
  --crash K           boards that crash at random moments during the transfer (default 0)
  --corrupt K         boards that pass on corrupt blocks (default 0)
  --forward MODE      cut: forward each verified block at once (default); store: only whole files
  --mode MODE         pfs (default), or tftp: every board fetches from the origin itself
  --election MODE     fast (default) or phone: the phone's exact election (four adverts
                      250 ms apart, then confirm)
  --starve TIME       CPU starvation: each board, again and again, is held back for up
                      to TIME (e.g. 1s), what arrives meanwhile taken in order after
  --boot-jitter TIME  boards reset at a random moment within TIME (default 10ms), as
                      processes starting one after the other on a busy machine
  --manifest          as pfs boot does: a signed manifest first, and the files it names
                      added once a board holds it; with the fast election they take the
                      manifest's root instead of electing their own
  --reboot            as pfs boot does: each board reboots into its new load (and tells
                      its root, Leaving) as soon as its children are served; without it
                      a board stays on the subnet, a parent for any board still coming
  --lan-rate RATE     each board's LAN up/down rate (default 100mbit)
  --wan-rate RATE     WAN rate to the origin (default 10mbit)
  --wan-rtt TIME      WAN round-trip time (default 150ms)
  --seeds A..B        the fault sweep: one run per seed, each with faults drawn from
                      its seed (corrupting roots, frozen boards, crashes, a partition,
                      loss, scheduling delay); prints boards that never finished, blocks
                      passed on unverified and WAN copies per model; exit 1 if any board
                      never finished or a bad block was passed on
  --json              print the summary as one JSON object

Example:
  pfs sim --boards 10000 --seed 1`,

  async run({ argv }) {
    const { values } = parse(
      argv,
      {
        boards: { type: 'string' }, seed: { type: 'string' }, size: { type: 'string' }, files: { type: 'string' },
        block: { type: 'string' }, models: { type: 'string' }, loss: { type: 'string' }, crash: { type: 'string' },
        corrupt: { type: 'string' }, forward: { type: 'string' }, mode: { type: 'string' },
        'lan-rate': { type: 'string' }, 'wan-rate': { type: 'string' }, 'wan-rtt': { type: 'string' }, json: { type: 'boolean' },
        seeds: { type: 'string' }, election: { type: 'string' }, starve: { type: 'string' }, 'boot-jitter': { type: 'string' },
        manifest: { type: 'boolean' },
        reboot: { type: 'boolean' },
      },
      { min: 0, max: 0 },
    );
    const election = electionOption(values.election);
    const starveMs = values.starve === undefined ? undefined : parseMs(values.starve, '--starve');
    if (values.seeds !== undefined) {
      const m = /^(\d+)\.\.(\d+)$/.exec(values.seeds);
      const from = m ? Number(m[1]) : NaN;
      const to = m ? Number(m[2]) : NaN;
      if (!m || from > to || to > 2 ** 32 - 1) throw new UsageError(`--seeds must be A..B with A <= B, got "${values.seeds}"`);
      const extra = { ...(election ? { election } : {}), ...(starveMs ? { starveMs } : {}), ...(values.manifest ? { manifest: true } : {}), ...(values.reboot ? { reboot: true } : {}) };
      const s = sweep(from, to, undefined, extra);
      process.stdout.write((values.json ? JSON.stringify(s) : sweepText(s)) + '\n');
      return s.boardsUnfinished === 0 && s.runsUnfinished === 0 && s.badBlocks === 0 ? 0 : 1;
    }
    const forward = values.forward ?? 'cut';
    if (forward !== 'cut' && forward !== 'store') throw new UsageError(`--forward must be cut or store, got "${forward}"`);
    const mode = values.mode ?? 'pfs';
    if (mode !== 'pfs' && mode !== 'tftp') throw new UsageError(`--mode must be pfs or tftp, got "${mode}"`);
    const boards = intOption('boards', values.boards, 1, 100_000) ?? 256;
    const corruptCount = intOption('corrupt', values.corrupt, 0, boards) ?? 0;
    const blockBytes = values.block === undefined ? undefined : parseSize(values.block, '--block');
    if (blockBytes !== undefined && blockBytes < 512) throw new UsageError('--block must be at least 512 bytes');
    const fileBytes = values.size === undefined ? undefined : parseSize(values.size, '--size');
    if (fileBytes !== undefined && fileBytes < 1) throw new UsageError('--size must be at least 1 byte');
    const summary = simulate({
      boards,
      mode,
      forward,
      seed: intOption('seed', values.seed, 0, 2 ** 32 - 1) ?? 1,
      fileBytes,
      files: intOption('files', values.files, 1, 64),
      blockBytes,
      models: intOption('models', values.models, 1, 64),
      loss: fraction('loss', values.loss),
      crashes: intOption('crash', values.crash, 0, boards) ?? 0,
      // Spread the corrupting boards over the fleet, skipping board 0.
      corrupt: Array.from({ length: corruptCount }, (_, k) => 1 + Math.floor((k * (boards - 1)) / Math.max(1, corruptCount))),
      lanRate: values['lan-rate'] === undefined ? undefined : parseRate(values['lan-rate'], '--lan-rate'),
      wanRate: values['wan-rate'] === undefined ? undefined : parseRate(values['wan-rate'], '--wan-rate'),
      wanRttMs: values['wan-rtt'] === undefined ? undefined : parseMs(values['wan-rtt'], '--wan-rtt'),
      election,
      starveMs,
      bootJitterMs: values['boot-jitter'] === undefined ? undefined : parseMs(values['boot-jitter'], '--boot-jitter'),
      manifest: values.manifest,
      reboot: values.reboot,
    });
    process.stdout.write((values.json ? JSON.stringify(summary) : human(summary)) + '\n');
    return summary.allVerified ? 0 : 1;
  },
};
