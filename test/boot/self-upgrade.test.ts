// Issue 11 item 5, end to end: the firmware being shared is the software that shares
// it. Three boards run the installed pfs (version N: dist/pfs.cjs, copied) under a
// launcher loop that stands in for pfs.service (exit 10: reboot; another failure:
// restart; 0: done until the next power-on). They upgrade through their peers to a load
// that carries pfs N+1 (the same bundle reporting another version, as pfs-linux-<CPU>)
// and come back up running it from their slot; then to a load whose runtime exits at
// once (/bin/false), which every board rolls back to N+1 after three boots.
//
// By hand, with release executables instead of the bundle (not in npm test: 84 MB per
// runtime): PFS_SELFUP_INSTALLED=<pfs-linux-x64 N> PFS_SELFUP_N1=<pfs-linux-x64 N+1>
// PFS_SELFUP_N1_VERSION=<what N+1 --version says> node --import tsx test/run.ts boot/self-upgrade
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { loadModels } from '../../src/profiles';
import { prepareSite } from '../../src/lab/site';
import { seededBytes } from '../../src/lab/firmware';
import { packLoad } from '../../src/loads/pack';
import { runtimeArchOfNode, runtimeComponent } from '../../src/loads/runtime';
import { TftpServer } from '../../src/net/tftp/server';
import { DirFlash } from '../../src/hal/flash/dir';
import { VERSION } from '../../src/version';
import { freePortRange } from '../helpers/net';

const BUNDLE = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../dist/pfs.cjs');
const MODEL = 'CP-7961G';
const BOARDS = 3;
const SEA = process.env.PFS_SELFUP_INSTALLED && process.env.PFS_SELFUP_N1 ? { installed: process.env.PFS_SELFUP_INSTALLED, n1: process.env.PFS_SELFUP_N1 } : undefined;
const N1_VERSION = (SEA && process.env.PFS_SELFUP_N1_VERSION) || '9.9.1-selfup';
const N1 = 'SCCP41.9-5-1-7961G';
const N2 = 'SCCP41.9-6-1-7961G';
const ARCH = runtimeArchOfNode()!;
const RUNTIME = runtimeComponent(ARCH);

interface Start {
  exit: number | null;
  out: string;
}

/**
 * pfs.service for one board: starts `node pfs.cjs boot` again after exit 10 (the
 * reboot) and after a failure (Restart=on-failure, without the back-off), until it ends
 * with 0 (up to date) or `limit` starts. Returns every start's exit code and console.
 */
async function powerOn(pfs: string[], boardsDir: string, root: string, limit: number): Promise<Start[]> {
  const starts: Start[] = [];
  while (starts.length < limit) {
    const child = spawn(pfs[0]!, [...pfs.slice(1), 'boot', '--board', 'sim', '--boards-dir', boardsDir, '--root', root, '--config-tries', '5', '--upgrade-timeout', '30s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exit = await new Promise<number | null>((done) => child.once('close', (code) => done(code)));
    starts.push({ exit, out });
    if (exit === 0 || exit === 2 || exit === 3) break;
  }
  return starts;
}

const said = (starts: Start[]) => starts.map((s, i) => `--- start ${i + 1}: exit ${s.exit}\n${s.out}`).join('\n');

async function offer(originDir: string, load: string, packed: { size: number; sha256: string }): Promise<void> {
  await writeFile(
    join(originDir, 'XMLDefault.cnf.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>\n<Default>\n  <loadInformation model="${MODEL}">${load}</loadInformation>\n  <pfsLoad model="${MODEL}" size="${packed.size}" sha256="${packed.sha256}">${load}</pfsLoad>\n  <enterpriseConfig><peerFirmwareSharing>Enabled</peerFirmwareSharing></enterpriseConfig>\n</Default>\n`,
  );
}

async function slotState(root: string) {
  const f = new DirFlash(join(root, 'flash'));
  await f.open();
  return f.status();
}

test('self-upgrade: boards on pfs N upgrade through their peers to N+1 of pfs itself and run it from the slot; a broken N+2 is rolled back to N+1 on every board', async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "npm run build" (npm test does)`);
  const dir = await mkdtemp(join(tmpdir(), 'pfs-selfup-'));
  const originDir = join(dir, 'origin');
  const server = new TftpServer({ root: originDir, port: 0, pipeline: 2, maxWindowsize: 128 });
  try {
    // The installed pfs (N), and pfs N+1: the same code reporting another version, as a load carries it.
    const installed = join(dir, 'opt', 'pfs.cjs');
    await mkdir(join(dir, 'opt'));
    await mkdir(join(dir, 'build'));
    const bundle = await readFile(BUNDLE, 'utf8');
    // src/version.ts's constant, as rollup names it in the bundle (VERSION, VERSION$1, ...).
    const versionLiteral = new RegExp(`(const VERSION(?:\\$\\d+)?\\s*=\\s*)"${VERSION.replace(/\./g, '\\.')}";`, 'g');
    assert.is(bundle.match(versionLiteral)?.length, 1, 'the bundle holds its version as one constant');
    await writeFile(installed, bundle);
    const n1Runtime = join(dir, 'build', 'pfs-n1');
    // Its own first line: this Node, wherever it is (the bundle's says /usr/bin/env node).
    await writeFile(n1Runtime, `#!${process.execPath}\n${bundle.replace(/^#!.*\n/, '').replace(versionLiteral, `$1"${N1_VERSION}";`)}`);
    await chmod(n1Runtime, 0o755);
    const pfsN = SEA ? [SEA.installed] : [process.execPath, installed];
    // The sim board file with a limit on coming up: N+1 must say it came up (reportUp) or be stopped.
    const boardsDir = join(dir, 'boards-files');
    await cp('boards', boardsDir, { recursive: true });
    const sim = JSON.parse(await readFile(join(boardsDir, 'sim.json'), 'utf8'));
    await writeFile(join(boardsDir, 'sim.json'), JSON.stringify({ ...sim, flash: { ...sim.flash, trialSeconds: 60 } }));
    const runtimeN1 = SEA ? SEA.n1 : n1Runtime;

    await mkdir(originDir);
    await server.start();
    const bport = await freePortRange(1);
    const s = await prepareSite(dir, {
      models: [{ profile: (await loadModels('boards')).get(MODEL)!, count: BOARDS }],
      size: 128 * 1024,
      files: 1,
      enterprisePfs: true,
      pfsOff: 0,
      server: () => ({ host: '127.0.0.1', port: server.address().port }),
      boardConfig: (i) => ({ addr: `127.0.0.${10 + i}`, broadcast: `127.255.255.255:${bport}`, peer_port: '0' }),
    });
    const key = join(dir, 'site-key.pem');
    const pack = async (load: string, component: string, runtime: string) => {
      await writeFile(join(dir, 'build', component), seededBytes(load, 192 * 1024));
      return packLoad({ load, model: MODEL, keyPath: key, outDir: originDir, files: [join(dir, 'build', component)], runtimes: [{ path: runtime, arch: ARCH }], force: true });
    };

    // N -> N+1, through the peers.
    await offer(originDir, N1, await pack(N1, 'apps951.sbn', runtimeN1));
    const first = await Promise.all(s.boards.map((b) => powerOn(pfsN, boardsDir, b.root, 4)));
    for (const [i, starts] of first.entries()) {
      const log = said(starts);
      assert.equal(starts.map((x) => x.exit), [10, 0], `board ${i}\n${log}`);
      assert.match(starts[0]!.out, new RegExp(`committed load ${N1}`), log);
      assert.not.match(starts[0]!.out, /pfs \S+, the runtime of/, 'the first boot runs the installed pfs');
      // Back up as N+1: the installed pfs hands over to the slot's runtime, which says its version and confirms the trial.
      assert.match(starts[1]!.out, new RegExp(`starting ${RUNTIME} of ${N1} \\(slot B\\)`), log);
      assert.match(starts[1]!.out, new RegExp(`pfs ${N1_VERSION}, the runtime of ${N1} \\(slot B\\)`), log);
      assert.match(starts[1]!.out, new RegExp(`load ${N1} came up \\(reached XMLDefault\\.cnf\\.xml from 127\\.0\\.0\\.1:\\d+\\): marked good`), log);
      assert.not.match(starts[1]!.out, /did not come up within/, log);
      const st = await slotState(s.boards[i]!.root);
      assert.equal([st.slots[st.active!], st.trial], [N1, false]);
      // Started from the slot itself (the dir back-end keeps files as files).
      const { stdout } = await promisify(execFile)(join(s.boards[i]!.root, 'flash', 'slotB', RUNTIME), ['--version']);
      assert.match(stdout, new RegExp(N1_VERSION), 'the runtime the board runs reports N+1');
    }
    // Shared: the origin sent the runtime about once for the three boards, not three times.
    const runtimeBytes = (await readFile(runtimeN1)).length;
    const sent = server.stats.bytesByFile.get(RUNTIME) ?? 0;
    assert.ok(sent >= runtimeBytes && sent < 2 * runtimeBytes, `the origin sent ${sent} bytes of ${RUNTIME} (${runtimeBytes} bytes) for ${BOARDS} boards`);

    // N+1 -> a broken N+2 (its runtime exits at once): committed through the peers by N+1, then rolled back.
    const broken = join(dir, 'build', 'false');
    await copyFile('/bin/false', broken);
    await offer(originDir, N2, await pack(N2, 'apps961.sbn', broken));
    const second = await Promise.all(s.boards.map((b) => powerOn(pfsN, boardsDir, b.root, 8)));
    for (const [i, starts] of second.entries()) {
      const log = said(starts);
      assert.equal(starts.map((x) => x.exit), [10, 1, 1, 1, 0], `board ${i}\n${log}`);
      assert.match(starts[0]!.out, new RegExp(`pfs ${N1_VERSION}, the runtime of ${N1}`), log);
      assert.match(starts[0]!.out, new RegExp(`committed load ${N2}`), 'N+1 itself upgraded the board');
      for (const [n, x] of starts.slice(1, 4).entries()) {
        assert.match(x.out, new RegExp(`${RUNTIME} of ${N2} ended \\(exit 1\\) before it reached the network: trial boot ${n + 1} of 3 failed`), log);
      }
      const back = starts[4]!.out;
      assert.equal(back.split('\n').filter((l) => l.includes('failed to come up 3 times')).length, 1, log);
      assert.match(back, new RegExp(`WRN .*BOOT: load ${N2} failed to come up 3 times: rolled back to ${N1} \\(slot B\\)`), log);
      assert.match(back, new RegExp(`pfs ${N1_VERSION}, the runtime of ${N1} \\(slot B\\)`), log);
      assert.match(back, new RegExp(`load ${N2} failed to come up on this board and was rolled back: staying on ${N1}`), log);
      const st = await slotState(s.boards[i]!.root);
      assert.equal([st.active, st.slots.B, st.trial, st.rejected], ['B', N1, false, N2]);
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
