// The bundled CLI (`dist/pfs.cjs`, built by `npm test` before the tests) run from a
// directory with no node_modules anywhere above it: `pfs tftp serve` and `pfs tftp get`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { LOOPBACK, makeFile, runAtftp, runProgram, sha256File, testWith, tmpDir, within, type MadeFile, type RunResult, type TmpDir } from '../../helpers/index';

const BUNDLE = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../../dist/pfs.cjs');

interface Fixture {
  dir: TmpDir;
  /** Where the copied bundle lives and runs. */
  bin: string;
  srv: string;
  file: MadeFile & { name: string };
  nested: MadeFile & { name: string };
}
let fixture: Promise<Fixture> | undefined;
function setup(): Promise<Fixture> {
  fixture ??= (async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "npm run build" (npm test does)`);
    const dir = await tmpDir('pfs-cli-');
    const bin = join(dir.path, 'bin');
    const srv = join(dir.path, 'srv');
    await mkdir(bin, { mode: 0o755 });
    await mkdir(join(srv, 'fw'), { recursive: true, mode: 0o755 });
    copyFileSync(BUNDLE, join(bin, 'pfs.cjs'));
    for (let d = bin; ; d = dirname(d)) {
      assert.not.ok(existsSync(join(d, 'node_modules')), `${d}/node_modules exists: the bundle would not be tested alone`);
      if (dirname(d) === d) break;
    }
    const file = { name: 'SCCP41.9-4-2SR2-2S.loads', ...(await makeFile(srv, 'SCCP41.9-4-2SR2-2S.loads', 3 * 1024 * 1024 + 77, 31)) };
    const nested = { name: 'fw/term41.default.loads', ...(await makeFile(srv, 'fw/term41.default.loads', 12_345, 32)) };
    return { dir, bin, srv, file, nested };
  })();
  return fixture;
}

/** Runs the copied bundle with `node` in its own directory; NODE_PATH is cleared. */
async function pfs(args: string[], timeoutMs = 30_000): Promise<RunResult> {
  const fx = await setup();
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  return runProgram(process.execPath, ['pfs.cjs', ...args], { cwd: fx.bin, env, timeoutMs });
}

interface Serving {
  port: number;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, resolves to the exit code. */
  stop(): Promise<number | null>;
}

let serving: Promise<Serving> | undefined;
/** `pfs tftp serve SRV --port 0`, port read from its "listening on" line. */
function serve(): Promise<Serving> {
  serving ??= setup().then(
    (fx) =>
      new Promise<Serving>((ok, fail) => {
        const env = { ...process.env };
        delete env.NODE_PATH;
        delete env.NODE_OPTIONS;
        const child = spawn(process.execPath, ['pfs.cjs', 'tftp', 'serve', fx.srv, '--port', '0', '--bind', LOOPBACK], { cwd: fx.bin, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
        const t = setTimeout(() => fail(new Error(`pfs tftp serve printed no "listening on" line: ${out} ${err}`)), 10_000);
        child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) {
            clearTimeout(t);
            ok({
              port: Number(m[1]),
              child,
              stderr: () => err,
              stop: async () => {
                if (child.exitCode === null) child.kill('SIGTERM');
                return exited;
              },
            });
          }
        });
        void exited.then((code) => {
          clearTimeout(t);
          fail(new Error(`pfs tftp serve exited (${code}) before listening: ${out} ${err}`));
        });
      }),
  );
  return serving;
}

const SUMMARY = /^(\S+): (\d+) bytes in (\d+\.\d+) s \((\d+\.\d+) MB\/s\)$/;

function summary(line: string, name: string, size: number): { seconds: number; rate: number } {
  const m = SUMMARY.exec(line.trim());
  assert.ok(m, `summary line "${line.trim()}" does not read "FILE: BYTES bytes in SECONDS s (RATE MB/s)"`);
  assert.is(m![1], name);
  assert.is(Number(m![2]), size);
  const seconds = Number(m![3]);
  const rate = Number(m![4]);
  if (seconds >= 0.05) {
    const expect = size / seconds / 1e6;
    assert.ok(Math.abs(rate - expect) <= expect * 0.05 + 0.01, `rate ${rate} MB/s does not match ${size} bytes in ${seconds} s`);
  }
  return { seconds, rate };
}

const cli = suite('pfs CLI bundle (no node_modules)');

cli('--help exits 0 and lists tftp get and tftp serve', () =>
  within(20_000, 'help', (async () => {
    const r = await pfs(['--help']);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s+tftp get\s+\S/m);
    assert.match(r.stdout, /^\s+tftp serve\s+\S/m);
    const g = await pfs(['tftp', 'get', '--help']);
    assert.is(g.code, 0, g.stderr);
    assert.match(g.stdout, /pfs tftp get HOST\[:PORT\] FILE/);
    assert.match(g.stdout, /--windowsize/);
    const s = await pfs(['tftp', 'serve', '--help']);
    assert.is(s.code, 0, s.stderr);
    assert.match(s.stdout, /pfs tftp serve DIR/);
  })()),
);

cli('bad options exit 2 with a message', () =>
  within(20_000, 'bad options', (async () => {
    const bad: Array<[string[], RegExp]> = [
      [['tftp', 'get', '127.0.0.1:6969', 'f', '--bogus'], /--bogus/],
      [['tftp', 'get', '127.0.0.1:6969', 'f', '--blksize', '3'], /blksize/],
      [['tftp', 'get', '127.0.0.1:6969', 'f', '--windowsize', 'lots'], /windowsize/],
      [['tftp', 'get', '127.0.0.1:99999', 'f'], /port/],
      [['tftp', 'get', '127.0.0.1'], /missing/],
      [['tftp', 'serve', '/nonexistent-pfs-dir'], /not a directory/],
      [['tftp', 'serve', '.', '--port', 'x'], /port/],
      [['tftp', 'fetch'], /not a command|unknown/],
      [['--log-level', 'loud', 'tftp', 'get', 'h', 'f'], /level/i],
    ];
    for (const [args, msg] of bad) {
      const r = await pfs(args);
      assert.is(r.code, 2, `pfs ${args.join(' ')}: exit ${r.code} ${r.stderr}`);
      assert.match(r.stderr, msg, `pfs ${args.join(' ')}: ${r.stderr}`);
    }
  })()),
);

cli('tftp get from tftp serve: the file, and a final line with bytes, seconds and throughput', () =>
  within(60_000, 'get', (async () => {
    const fx = await setup();
    const s = await serve();
    const out = join(fx.dir.path, 'got.loads');
    const r = await pfs(['tftp', 'get', `127.0.0.1:${s.port}`, fx.file.name, '-o', out]);
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.is(lines.length, 1, `one line on stdout, got: ${r.stdout}`);
    summary(lines[0]!, fx.file.name, fx.file.size);
    assert.is(await sha256File(out), fx.file.sha256);
    assert.not.ok(existsSync(`${out}.part`));
  })()),
);

cli('tftp get --blksize 1428 --windowsize 16, and the default output name in the current directory', () =>
  within(60_000, 'get options', (async () => {
    const fx = await setup();
    const s = await serve();
    const r = await pfs(['tftp', 'get', `127.0.0.1:${s.port}`, fx.file.name, '--blksize', '1428', '--windowsize', '16']);
    assert.is(r.code, 0, r.stderr);
    summary(r.stdout, fx.file.name, fx.file.size);
    assert.is(await sha256File(join(fx.bin, fx.file.name)), fx.file.sha256);
    const n = await pfs(['tftp', 'get', `127.0.0.1:${s.port}`, fx.nested.name, '--blksize', '8192', '--windowsize', '4']);
    assert.is(n.code, 0, n.stderr);
    assert.is(await sha256File(join(fx.bin, 'term41.default.loads')), fx.nested.sha256, 'written under its base name');
  })()),
);

cli('tftp get -o - writes the file to stdout and the summary to stderr', () =>
  within(30_000, 'stdout', (async () => {
    const fx = await setup();
    const s = await serve();
    const env = { ...process.env };
    delete env.NODE_PATH;
    // Run as nobody when we are root: a CLI that wrote "-" through a file next to
    // /dev/stdout and renamed it into place would, as root, replace the machine's
    // /dev/stdout link; as nobody it can only fail.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const child = spawn(process.execPath, ['pfs.cjs', 'tftp', 'get', `127.0.0.1:${s.port}`, fx.nested.name, '-o', '-'], {
      cwd: fx.bin,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...asNobody,
    });
    const hash = createHash('sha256');
    let bytes = 0;
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      hash.update(d);
      bytes += d.length;
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((ok) => child.once('close', (c) => ok(c)));
    assert.is(code, 0, err);
    assert.is(bytes, fx.nested.size);
    assert.is(hash.digest('hex'), fx.nested.sha256);
    const line = err.trim().split('\n').find((l) => SUMMARY.test(l.trim()));
    assert.ok(line, `summary on stderr: ${err}`);
  })()),
);

cli('tftp get of a missing file exits 1 with PFS_ERR_TFTP_REMOTE and leaves no file', () =>
  within(30_000, 'missing', (async () => {
    const fx = await setup();
    const s = await serve();
    const out = join(fx.dir.path, 'missing.out');
    const r = await pfs(['tftp', 'get', `127.0.0.1:${s.port}`, 'no-such.loads', '-o', out]);
    assert.is(r.code, 1, `exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, /PFS_ERR_TFTP_REMOTE/);
    assert.match(r.stderr, /^ERR \d\d:\d\d:\d\d\.\d{6} /m, 'DLoad-style console line');
    assert.not.ok(existsSync(out));
    assert.not.ok(existsSync(`${out}.part`));
  })()),
);

testWith(['atftp'], 'atftp fetches from pfs tftp serve (the bundle as an origin)', () =>
  within(60_000, 'atftp', (async () => {
    const fx = await setup();
    const s = await serve();
    const out = join(fx.dir.path, 'atftp.loads');
    const r = await runAtftp({ port: s.port, file: fx.file.name, out, blksize: 1428, windowsize: 8 });
    assert.ok(r.ok, r.stderr);
    assert.is(statSync(out).size, fx.file.size);
    assert.is(await sha256File(out), fx.file.sha256);
  })()),
  cli,
);

cli('tftp serve stops cleanly on SIGTERM and refuses escapes in its log', () =>
  within(20_000, 'stop', (async () => {
    const s = await serve();
    const fx = await setup();
    const out = join(fx.dir.path, 'escape.out');
    const r = await pfs(['tftp', 'get', `127.0.0.1:${s.port}`, '../../etc/passwd', '-o', out]);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /PFS_ERR_TFTP_REMOTE/);
    assert.not.ok(existsSync(out));
    const code = await s.stop();
    serving = undefined;
    assert.is(code, 0, s.stderr());
    assert.match(s.stderr(), /^INF \d\d:\d\d:\d\d\.\d{6} TFTP: /m, 'DLoad-style log lines');
  })()),
);

cli.after(async () => {
  if (serving) await (await serving.catch(() => undefined))?.stop();
  serving = undefined;
  await (await fixture?.catch(() => undefined))?.dir.cleanup();
  fixture = undefined;
});

cli.run();
