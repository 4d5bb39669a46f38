import { intOption, parse, type Command } from '../command';
import { electionOption } from '../election-option';
import { UsageError } from '../../errors';
import { parseMs, parseRate, parseSize } from '../../units/parse';
import { runLab, type LabProgress } from '../../lab/lab';
import { LabInterrupted } from '../../lab/errors';
import { exitCodeOf } from '../../error-codes';
import { createLabView, verifiedCount } from '../../lab/view';
import { runHostProcess } from '../../lab/host-process';
import { runOriginHost } from '../../lab/netns/origin-host';
import { formatBytes } from '../../units/format';
import { defaultBoardsDir } from './boot';
import { loadModels } from '../../profiles';
import type { LabSummary } from '../../lab/types';

export const labCommand: Command = {
  path: ['lab'],
  summary: 'run a site of boards on this machine (loopback, or network namespaces) and upgrade them',
  usage: `Usage: pfs lab [--boards N] [--size 8M] [--files K] [--mode pfs|tftp] [--forward cut|store]
               [--wan-rate 10mbit] [--wan-rtt 150ms] [--json]
       pfs lab --netns [--boards N] [--size 8M] [--lan-rate 100mbit] [--wan-rate 10mbit] [--rtt 150ms] [--json]

Starts, on loopback only: a TFTP origin holding a generated firmware set (one
signed load per model), a WAN emulator in front of it (rate, delay, loss), and N
boards, by default three quarters CP-7961G and the rest CP-7941G (--models), each
with a peer port of its own, advertising on 127.255.255.255; the ports are free
ones from the kernel unless given, and the lab says which it took, so labs side by
side keep apart. All boards "reset" together and upgrade; a live view shows each
file's tree and every board's progress, and the end prints a summary. Everything is
stopped and its folder removed afterwards, also after Ctrl-C; a folder left by a
lab killed outright is removed by the next one.

With --netns (root and iproute2 needed) the site is a real subnet instead: one
network namespace per board and one for the origin, each joined by a veth pair to
a Linux bridge (the switch, in a namespace of its own), addresses from
198.18.0.0/16, adverts to its directed broadcast 198.18.255.255, every board a
process of its own running the boot sequence on the default peer port 4051. Each
board's switch port is limited with tbf to the LAN rate, the origin's to the WAN
rate; the WAN delay comes from the emulator inside the origin's namespace. The
namespaces (and with them every link and process) are removed at the end, also
after Ctrl-C; a lab killed outright is cleaned up by the next one's start. The
summary adds each switch port's bytes.

Options:
  --boards N          boards in the site (default 16)
  --size SIZE         total size of the firmware set, e.g. 8M, 512K (default 8M)
  --files K           components the set is split into (default 4)
  --mode MODE         pfs (peer sharing, default) or tftp (every board from the origin)
  --forward MODE      cut (forward each verified block, default) or store (whole file first)
  --election MODE     fast (default) or phone (the phone's exact election: four adverts
                      250 ms apart, then confirm)
  --wan-rate RATE     WAN rate each way, e.g. 10mbit (default 10mbit)
  --wan-rtt TIME      WAN round-trip time, e.g. 150ms (default 150ms)
  --wan-loss SHARE    share of WAN datagrams lost, 0..0.5 (default 0)
  --origin tftp|http  how components cross the WAN: TFTP (default), or an HTTP load
                      server behind a TCP WAN of the same rate and RTT (boards get
                      http= in pfs.txt; range requests; not with --engine)
  --tftp-blksize N    blksize for fetches from the origin (default 1468; the phone uses 512)
  --tftp-window N     windowsize for fetches from the origin (the phone uses 1; default 64
                      for up to 4 concurrent transfers, less beyond, so that every root's
                      windows together fit the WAN's queue)
  --per-process N     boards per OS process (default 16; 0 = all in this process)
  --port-base PORT    board i uses UDP/TCP port PORT+i (default: a free port per
                      board from the kernel, so that labs side by side keep apart)
  --bcast-port PORT   the advert port the boards share (default: a free one; the
                      lab says which ports it took)
  --model MODEL       phone model of the boards with --engine (default CP-7961G)
  --timeout TIME      give up after this long (default 600s)
  --models MIX        phone models of the boards, e.g. CP-7961G:12,CP-7941G:4
                      (default: three quarters CP-7961G, the rest CP-7941G)
  --pfs-off K         K boards get their own cnf.xml turning Peer Firmware Sharing
                      off at the device level (they upgrade by plain TFTP)
  --late K@TIME       the last K boards reset TIME after the others, e.g. 2@9s: boards
                      on their way while the first ones reboot into the new load
  --engine            bare DLoad engines handed the block plans, instead of boards
                      running pfs boot (the engine's own benchmark)
  --boards-dir DIR    board and model files (default: beside pfs)
  --netns             build the site from network namespaces (see above)
  --lan-rate RATE     --netns: each board's switch port, each way (default 100mbit)
  --rtt TIME          the same as --wan-rtt
  --tag TAG           --netns: names this run's namespaces pfs-TAG-* (default random)
  --keep              keep the lab folder (per-board logs in logs/)
  --json              print the summary as one JSON object on stdout`,

  async run({ argv, log }) {
    const { values } = parse(
      argv,
      {
        boards: { type: 'string' },
        size: { type: 'string' },
        files: { type: 'string' },
        mode: { type: 'string' },
        forward: { type: 'string' },
        election: { type: 'string' },
        'wan-rate': { type: 'string' },
        'wan-rtt': { type: 'string' },
        'wan-loss': { type: 'string' },
        origin: { type: 'string' },
        'tftp-blksize': { type: 'string' },
        'tftp-window': { type: 'string' },
        'per-process': { type: 'string' },
        'port-base': { type: 'string' },
        'bcast-port': { type: 'string' },
        model: { type: 'string' },
        timeout: { type: 'string' },
        keep: { type: 'boolean' },
        json: { type: 'boolean' },
        models: { type: 'string' },
        'pfs-off': { type: 'string' },
        late: { type: 'string' },
        engine: { type: 'boolean' },
        'boards-dir': { type: 'string' },
        netns: { type: 'boolean' },
        'lan-rate': { type: 'string' },
        rtt: { type: 'string' },
        tag: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    const mode = values.mode ?? 'pfs';
    if (mode !== 'pfs' && mode !== 'tftp') throw new UsageError(`--mode must be pfs or tftp, got "${mode}"`);
    const forward = values.forward ?? 'cut';
    if (forward !== 'cut' && forward !== 'store') throw new UsageError(`--forward must be cut or store, got "${forward}"`);
    const boards = intOption('boards', values.boards, 1, 4096) ?? 16;
    const files = intOption('files', values.files, 1, 64) ?? 4;
    const size = parseSize(values.size ?? '8M', '--size');
    if (size < files) throw new UsageError(`--size must give every file at least one byte`);
    const loss = Number(values['wan-loss'] ?? '0');
    if (!(loss >= 0 && loss <= 0.5)) throw new UsageError(`--wan-loss must be between 0 and 0.5, got "${values['wan-loss']}"`);
    const portBase = intOption('port-base', values['port-base'], 1024, 65535);
    const origin = values.origin ?? 'tftp';
    if (origin !== 'tftp' && origin !== 'http') throw new UsageError(`--origin must be tftp or http, got "${values.origin}"`);
    const netns = values.netns ?? false;
    if (!netns && (values['lan-rate'] !== undefined || values.tag !== undefined)) throw new UsageError('--lan-rate and --tag go with --netns');
    if (values.rtt !== undefined && values['wan-rtt'] !== undefined) throw new UsageError('give --rtt or --wan-rtt, not both');
    if (values.tag !== undefined && !/^[a-z0-9]{1,8}$/.test(values.tag)) throw new UsageError(`--tag must be 1 to 8 of a-z, 0-9, got "${values.tag}"`);
    const boardsDir = values['boards-dir'] ?? defaultBoardsDir();
    const mix = parseMix(values.models, boards);
    if (!values.engine) {
      // Checked before anything starts: an unknown model is the user's to fix (exit 2), not a lab that failed.
      const known = await loadModels(boardsDir);
      for (const { model } of mix) if (!known.has(model)) throw new UsageError(`--models: no such phone model ${model} (models: ${[...known.keys()].join(', ')})`);
    }
    const title = `pfs lab${netns ? ' --netns' : ''} — ${boards} boards, ${mode}${mode === 'pfs' ? `/${forward}` : ''}, ${files} files, ${formatBytes(size)}`;
    const tty = process.stderr.isTTY && !values.json;
    let drawn = 0;
    let lastLine = 0;
    const view = createLabView(title);
    const onProgress = (p: LabProgress) => {
      if (tty) {
        // One line short of the terminal: the cursor's line after the view.
        const lines = view(p, process.stderr.columns ?? 100, Math.max(4, (process.stderr.rows ?? 24) - 1));
        process.stderr.write(`${drawn > 0 ? `\x1b[${drawn}F` : ''}${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`);
        drawn = lines.length;
      } else if (p.elapsedMs - lastLine >= 2000) {
        lastLine = p.elapsedMs;
        const done = verifiedCount(p);
        log.inf(`lab ${(p.elapsedMs / 1000).toFixed(1)} s: ${done}/${p.reports.length} boards verified, origin sent ${p.originBytes} bytes`);
      }
    };
    const summary = await runLab(
      {
        boards,
        size,
        files,
        mode,
        forward,
        election: electionOption(values.election),
        wanRate: parseRate(values['wan-rate'] ?? '10mbit', '--wan-rate') * 8,
        wanRttMs: parseMs(values.rtt ?? values['wan-rtt'] ?? '150ms', values.rtt !== undefined ? '--rtt' : '--wan-rtt'),
        wanLoss: loss,
        origin,
        tftpBlksize: intOption('tftp-blksize', values['tftp-blksize'], 8, 65464) ?? 1468,
        tftpWindow: intOption('tftp-window', values['tftp-window'], 1, 1024) ?? autoWindow(values.engine ? 1 : parseMix(values.models, boards).length, files),
        perProcess: intOption('per-process', values['per-process'], 0, 4096) ?? 16,
        portBase,
        broadcast: { addr: '127.255.255.255', port: intOption('bcast-port', values['bcast-port'], 1, 65535) },
        model: values.model ?? 'CP-7961G',
        logLevel: 'DBG',
        keep: values.keep ?? false,
        timeoutMs: parseMs(values.timeout ?? '600s', '--timeout'),
        engine: values.engine ?? false,
        models: mix,
        pfsOff: intOption('pfs-off', values['pfs-off'], 0, boards) ?? 0,
        late: lateOption(values.late, boards),
        boardsDir,
        netns: netns ? { lanRate: parseRate(values['lan-rate'] ?? '100mbit', '--lan-rate') * 8, tag: values.tag } : undefined,
        onProgress,
      },
      log,
    ).catch((e: unknown) => {
      if (!(e instanceof LabInterrupted)) throw e;
      // Everything the lab started is stopped and its folder removed (runLab's finally).
      // Boards that share this process (--per-process 0) may be mid-boot, with TFTP
      // retries and timers of their own that would keep it alive for a minute or more:
      // a signal ends the process, as it would end a board.
      log.err(e.message, { code: e.code });
      process.exit(exitCodeOf(e.code));
    });
    if (values.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else process.stdout.write(describe(summary) + '\n');
    return summary.allVerified ? 0 : 1;
  },
};

/**
 * Every model's root fetches every file at once, each with two windows in flight:
 * keep their sum near 4 x 2 x 64 datagrams, what the WAN emulator's one-second
 * queue holds at 10 Mbit/s, so the roots do not overflow it and pay retransmissions.
 */
function autoWindow(models: number, files: number): number {
  return Math.max(8, Math.min(64, Math.floor(256 / (models * files))));
}

/** `CP-7961G:12,CP-7941G:4`; the counts must add up to the number of boards. */
function parseMix(text: string | undefined, boards: number): { model: string; count: number }[] {
  if (text === undefined) {
    const minor = Math.floor(boards / 4);
    return minor > 0 ? [{ model: 'CP-7961G', count: boards - minor }, { model: 'CP-7941G', count: minor }] : [{ model: 'CP-7961G', count: boards }];
  }
  const mix = text.split(',').map((part) => {
    const m = /^\s*([A-Za-z0-9-]+)\s*(?::\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new UsageError(`--models must look like CP-7961G:12,CP-7941G:4, got "${text}"`);
    return { model: m[1]!.toUpperCase(), count: m[2] === undefined ? -1 : Number(m[2]) };
  });
  const open = mix.filter((x) => x.count < 0);
  const fixed = mix.reduce((a, x) => a + Math.max(0, x.count), 0);
  if (open.length > 1) throw new UsageError('--models: give counts for all models but at most one');
  if (open.length === 1) open[0]!.count = boards - fixed;
  const total = mix.reduce((a, x) => a + x.count, 0);
  if (total !== boards || mix.some((x) => x.count < 0)) throw new UsageError(`--models counts add up to ${total}, but --boards is ${boards}`);
  return mix.filter((x) => x.count > 0);
}

function describe(s: LabSummary): string {
  const roots = Object.values(s.rootsPerFile);
  return [
    `${s.allVerified ? 'all verified' : 'NOT all verified'}: ${s.boards} boards, ${s.files} files, ${formatBytes(s.fileBytes)} (${s.mode}${s.mode === 'pfs' ? `, ${s.forward}` : ''})`,
    `fleet time   ${s.fleetSeconds.toFixed(2)} s  (physical limit ${s.limitSeconds.toFixed(2)} s: ${(s.fleetSeconds / s.limitSeconds).toFixed(2)} ×)`,
    `WAN          origin sent ${s.originBytes} bytes of firmware = ${(s.originBytes / s.fileBytes).toFixed(2)} × the image${s.models > 1 ? ` (${s.models} models: ${(s.originBytes / s.fileBytes / s.models).toFixed(2)} per model)` : ''}${s.originConfigBytes > 0 ? ` + ${s.originConfigBytes} bytes of cnf.xml` : ''}${s.originHttpBytes !== undefined ? `; ${s.originHttpBytes} of the firmware bytes by HTTP` : ''}${s.wanOverflowed ? `; ${s.wanOverflowed} datagrams over the WAN's buffer, dropped` : ''}`,
    s.mode === 'pfs' ? `tree         roots per file ${roots.join(', ')}; depth ≤ ${s.maxDepth}; children ≤ ${s.maxChildren}` : '',
    s.claimants ? `election     ${s.election}: boards that claimed root per hierarchy ${Object.values(s.claimants).join(', ')}` : '',
    s.lanPorts && s.wanPort
      ? `LAN          ${formatBytes(s.lanPorts.reduce((a, p) => a + p.txBytes, 0))} out of the switch to boards (per port ${Math.round(Math.min(...s.lanPorts.map((p) => p.txBytes)) / 1024)}..${Math.round(Math.max(...s.lanPorts.map((p) => p.txBytes)) / 1024)} KiB); origin's port ${formatBytes(s.wanPort.rxBytes)} from it, ${formatBytes(s.wanPort.txBytes)} to it`
      : '',
    s.netns ? `netns        ${s.boards + 2} namespaces pfs-${s.netns.tag}-*, ${s.netns.subnet}, LAN ports ${s.netns.lanRateBitsPerSec / 1e6} Mbit/s: ${s.netns.clean ? 'all removed' : 'NOT all removed (pfs lab --netns removes them at its next start)'}` : '',
    s.peakRssPerBoardMiB > 0 ? `memory       peak RSS ${s.peakRssPerBoardMiB} MiB per board (${s.boardsPerProcess} board${s.boardsPerProcess === 1 ? '' : 's'} a process${s.youngGenMiB ? `, young generation ≤ ${s.youngGenMiB} MiB` : ''})` : '',
    ...s.failures.map((f) => `failed       ${f}`),
  ]
    .filter(Boolean)
    .join('\n');
}

/** Hidden: the body of a process the lab forks to host boards. */
export const labHostCommand: Command = {
  path: ['lab-host'],
  summary: '(internal) host boards for pfs lab',
  hidden: true,
  usage: 'Usage: pfs lab-host [board | origin] — started by "pfs lab" over IPC; not for use by hand.',
  run: ({ argv }) => (argv[0] === 'origin' ? runOriginHost() : runHostProcess()),
};

/** --late K@TIME: the last K boards reset TIME after the others. */
function lateOption(text: string | undefined, boards: number): { count: number; afterMs: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)@(.+)$/.exec(text);
  if (!m) throw new UsageError(`--late must be K@TIME, e.g. 2@9s, got "${text}"`);
  const count = Number(m[1]);
  if (count < 1 || count >= boards) throw new UsageError(`--late: K must be 1 to ${boards - 1} (one board at least resets on time), got ${count}`);
  const afterMs = parseMs(m[2]!, '--late');
  if (afterMs <= 0) throw new UsageError(`--late: TIME must be more than 0, got "${m[2]}"`);
  return { count, afterMs };
}
