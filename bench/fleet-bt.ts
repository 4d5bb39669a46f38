// The BitTorrent row of the fleet benchmark (issue 12), as sites use it for fleet
// deploys: Debian's opentracker on the subnet, aria2c on every board, one board
// seeding after the same single WAN fetch the udpcast and UFTP rows get. Its fleet
// seconds are that fetch plus the swarm, measured back to back; the copies are checked
// by SHA-256 afterwards, off the clock. Used by bench/fleet.ts and its short test
// (test/bench/fleet-bt.test.ts).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, openSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { NetnsSubnet } from '../src/lab/netns/subnet';
import { sleep } from '../src/io/sleep';
import { exitOf, killIn, Origin, sha256, wanFetch, type OriginOptions } from './fleet-run';

/** The programs the row runs, and the Debian packages they come in. */
const PROGRAMS: Record<string, string> = { opentracker: 'opentracker', aria2c: 'aria2', mktorrent: 'mktorrent' };

/** What this machine lacks to run the row (undefined when nothing). */
export function btMissing(): string | undefined {
  const lacking = Object.keys(PROGRAMS).filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  if (lacking.length === 0) return undefined;
  return `${lacking.join(', ')} not found: apt-get install ${lacking.map((p) => PROGRAMS[p]).join(' ')}`;
}

/** The tracker's port (TCP for HTTP announces) on the board that hosts it. */
const TRACKER_PORT = 6969;

/**
 * aria2c on a LAN, on every board. The tracker is the only way peers meet (no DHT, no
 * local peer discovery, no IPv6), peer exchange stays on; no cap on peers or on upload
 * or download rates; an announce every second (aria2c otherwise follows the tracker's
 * interval, shortened when it has few peers: in a trial the leechers found the seed
 * 5 s after it started); no preallocation.
 */
export const ARIA2_LAN = [
  '--enable-dht=false',
  '--enable-dht6=false',
  '--bt-enable-lpd=false',
  '--disable-ipv6=true',
  '--enable-peer-exchange=true',
  '--bt-max-peers=0',
  '--max-overall-upload-limit=0',
  '--max-upload-limit=0',
  '--max-overall-download-limit=0',
  '--bt-tracker-interval=1',
  '--file-allocation=none',
  '--summary-interval=0',
  '--console-log-level=notice',
];
/** A leecher stops once it holds every piece (it serves others only meanwhile). */
export const ARIA2_LEECHER = ['--seed-time=0'];
/** The seed hashes what it fetched (the pieces' SHA-1 against the torrent) and then seeds until stopped. */
export const ARIA2_SEED = ['--check-integrity=true', '--seed-ratio=0.0'];

/** One run of the row on a subnet. */
export interface SwarmOptions {
  net: NetnsSubnet;
  /** The origin's folder, served over the WAN. */
  originDir: string;
  /** The files of the set (manifest and components) as named on the origin. */
  files: string[];
  /** A folder of this run's own; emptied first. */
  work: string;
  origin: OriginOptions;
  /** Torrent piece size, bytes: a power of two, 16 KiB or more. */
  pieceBytes: number;
  /** Seconds before the run is given up (default 300). */
  capS?: number;
}

export interface SwarmResult {
  /** The WAN fetch plus the swarm, seconds: from the boards' start until the last leecher held every piece. */
  fleetSeconds: number;
  /** The WAN fetch's share: from the start until board 0 held the whole set. */
  wanFetchSeconds: number;
  /** Firmware bytes the origin sent. */
  wanBytes: number;
  /** Every board holds every file byte for byte (SHA-256 against the origin's). */
  verified: boolean;
  /** When each leecher (board 1 on) held every piece, seconds from the start; undefined if it did not. */
  leecherSeconds: (number | undefined)[];
  /** When each leecher exited (after its last announce), seconds from the start. */
  leecherExitSeconds: (number | undefined)[];
  /** The folder where each board's copy of the set is, board 0 (the seed) first. */
  copies: string[];
  notes: string[];
}

/**
 * Runs the BitTorrent row: the torrent (mktorrent, off the clock, from the origin's
 * files) and opentracker on board 0 are ready first; then every other board starts
 * aria2c (idle: no seed yet) while board 0 fetches the set over the WAN with
 * `pfs tftp get` (windowsize 64, all files at once, as our root and the multicast
 * rows do), and then seeds it with aria2c. The clock stops when the last leecher holds
 * every piece; the run ends when every leecher has exited (or at the cap), then stops
 * seed and tracker. Needs dist/pfs.cjs and btMissing() clear.
 */
export async function runBitTorrent(o: SwarmOptions): Promise<SwarmResult> {
  const { net } = o;
  const [seedHost, ...leechHosts] = net.boards;
  if (!seedHost || leechHosts.length === 0) throw new Error('the BitTorrent row needs at least two boards');
  if (o.pieceBytes < 16384 || (o.pieceBytes & (o.pieceBytes - 1)) !== 0) throw new Error(`piece size must be a power of two of at least 16 KiB, got ${o.pieceBytes}`);
  await rm(o.work, { recursive: true, force: true });
  const setDir = join(o.work, 'set');
  const logs = join(o.work, 'logs');
  const tracker = join(o.work, 'tracker');
  for (const d of [setDir, logs, tracker]) await mkdir(d, { recursive: true });
  const copies = net.boards.map((_, i) => join(o.work, `b${i}`));
  for (const d of copies) await mkdir(d, { recursive: true });

  // The torrent, as a site makes it from the files before the deploy.
  for (const f of o.files) await copyFile(join(o.originDir, f), join(setDir, f));
  const torrent = join(o.work, 'set.torrent');
  const announce = `http://${seedHost.addr}:${TRACKER_PORT}/announce`;
  const mk = spawnSync('mktorrent', ['-a', announce, '-l', String(Math.log2(o.pieceBytes)), '-n', 'set', '-d', '-o', torrent, setDir], { encoding: 'utf8' });
  if (mk.status !== 0) throw new Error(`mktorrent failed: ${mk.stderr.trim()}`);
  await rm(setDir, { recursive: true });
  // Debian's opentracker serves only the torrents on its whitelist; the path is inside its chroot (-d).
  await writeFile(join(tracker, 'whitelist'), `${infoHash(readFileSync(torrent))}\n`);
  const fds: number[] = [];
  const logTo = (name: string) => {
    const fd = openSync(join(logs, name), 'w');
    fds.push(fd);
    return fd;
  };
  let origin: Origin | undefined;
  try {
    net.spawn(seedHost, ['opentracker', '-i', seedHost.addr, '-p', String(TRACKER_PORT), '-P', String(TRACKER_PORT), '-d', tracker, '-w', '/whitelist'], { stdio: ['ignore', logTo('tracker.log'), 'ignore'] });
    await listening(net, seedHost.ns, TRACKER_PORT);
    origin = await Origin.start(net, o.originDir, o.origin);

    const t0 = Date.now();
    // The other boards are on and waiting for a seed. A leecher is done when it holds every piece, checked against the torrent's SHA-1s (its
    // "Seeding is over" line, or "Download complete"); it exits a tick later, after its last announce.
    const leechDone: (number | undefined)[] = leechHosts.map(() => undefined);
    const leechExit: (number | undefined)[] = leechHosts.map(() => undefined);
    const leechers: ChildProcess[] = leechHosts.map((h, k) => {
      const c = net.spawn(h, ['aria2c', ...ARIA2_LAN, ...ARIA2_LEECHER, '-d', copies[k + 1]!, torrent], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out = createWriteStream(join(logs, `b${k + 1}.log`));
      for (const stream of [c.stdout!, c.stderr!]) {
        createInterface({ input: stream }).on('line', (l) => {
          out.write(`${Date.now() - t0} ${l}\n`);
          if (/Seeding is over|Download complete/.test(l)) leechDone[k] ??= Date.now() - t0;
        });
      }
      c.once('exit', () => (leechExit[k] = Date.now() - t0));
      // Its last lines may still come after 'exit': the log is closed once the pipes are.
      c.once('close', () => out.end());
      return c;
    });
    const fetchExits = await wanFetch(net, seedHost, o.files, join(copies[0]!, 'set'));
    const tWan = Date.now() - t0;
    let ok = fetchExits.every((e) => e === 0);
    let tEnd = tWan;
    const notes: string[] = [];
    if (ok) {
      const log = logTo('b0.log');
      net.spawn(seedHost, ['aria2c', ...ARIA2_LAN, ...ARIA2_SEED, '-d', copies[0]!, torrent], { stdio: ['ignore', log, log] });
      const capMs = (o.capS ?? 300) * 1000;
      let timer: NodeJS.Timeout | undefined;
      const res = await Promise.race([Promise.all(leechers.map(exitOf)), new Promise<undefined>((ok) => (timer = setTimeout(() => ok(undefined), capMs)))]);
      clearTimeout(timer);
      tEnd = Date.now() - t0;
      ok = res !== undefined && res.every((e) => e === 0) && leechDone.every((x) => x !== undefined);
      if (ok) tEnd = Math.max(...(leechDone as number[]));
      else if (res === undefined) notes.push(`FAILED: ${leechExit.filter((x) => x === undefined).length} leechers not done within ${capMs / 1000} s`);
      else notes.push(`FAILED: leecher exits ${[...new Set(res)].join(',')}, ${leechDone.filter((x) => x !== undefined).length} of ${leechers.length} said they were complete (aria2c logs in ${logs})`);
    } else {
      notes.push(`FAILED: the WAN fetch (pfs tftp get exits ${[...new Set(fetchExits)].join(',')})`);
    }
    await killIn(net.boards);
    await origin.stop();
    // Every board holds every file, byte for byte (checked after the clock stopped).
    const want = await Promise.all(o.files.map((f) => sha256(join(o.originDir, f))));
    let verified = ok;
    for (const d of copies) {
      for (let k = 0; k < o.files.length && verified; k++) {
        const p = join(d, 'set', o.files[k]!);
        verified = existsSync(p) && (await sha256(p)) === want[k];
      }
    }
    return { fleetSeconds: tEnd / 1000, wanFetchSeconds: tWan / 1000, wanBytes: origin.firmwareBytes, verified, leecherSeconds: leechDone.map(secs), leecherExitSeconds: leechExit.map(secs), copies: copies.map((d) => join(d, 'set')), notes };
  } finally {
    await killIn(net.boards);
    await origin?.stop();
    for (const fd of fds) closeSync(fd);
  }
}

const secs = (ms: number | undefined) => (ms === undefined ? ms : ms / 1000);

/** Waits until something listens on TCP `port` in namespace `ns` (10 s at most). */
async function listening(net: NetnsSubnet, ns: string, port: number): Promise<void> {
  for (let k = 0; k < 200; k++) {
    const ss = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Hltn', `sport = :${port}`], { encoding: 'utf8' });
    if (ss.stdout.trim() !== '') return;
    await sleep(50);
  }
  throw new Error(`the tracker did not listen on port ${port} in ${ns} (of run ${net.tag}) within 10 s`);
}

/** The torrent's info hash: SHA-1 of its bencoded `info` dictionary, hex. */
export function infoHash(torrent: Buffer): string {
  if (torrent[0] !== 0x64) throw new Error('not a torrent: no bencoded dictionary');
  let i = 1;
  while (torrent[i] !== 0x65) {
    const [key, afterKey] = bstring(torrent, i);
    const end = skip(torrent, afterKey);
    if (key === 'info') return createHash('sha1').update(torrent.subarray(afterKey, end)).digest('hex');
    i = end;
  }
  throw new Error('not a torrent: no info dictionary');
}

/** A bencoded string at `i`: its text and the offset after it. */
function bstring(b: Buffer, i: number): [string, number] {
  const colon = b.indexOf(0x3a, i);
  const len = Number(b.subarray(i, colon).toString('latin1'));
  if (colon < 0 || !Number.isInteger(len)) throw new Error(`bad bencoded string at byte ${i}`);
  return [b.subarray(colon + 1, colon + 1 + len).toString('latin1'), colon + 1 + len];
}

/** The offset after the bencoded value at `i`. */
function skip(b: Buffer, i: number): number {
  const c = b[i];
  if (c === 0x69) return b.indexOf(0x65, i) + 1; // i<n>e
  if (c === 0x6c || c === 0x64) {
    // l...e, d...e
    let j = i + 1;
    while (b[j] !== 0x65) {
      if (j >= b.length) throw new Error('bad bencoding: unterminated list or dictionary');
      j = skip(b, j);
    }
    return j + 1;
  }
  return bstring(b, i)[1];
}
