// Interop with the real Debian TFTP programs: our client against in.tftpd (tftpd-hpa)
// and atftpd; the real clients tftp (tftp-hpa) and atftp against our TftpServer.
// Everything on 127.0.0.1, high ports; the daemons are started and stopped here.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tftpGet, tftpGetToFile, type TftpGetOptions } from '../../../src/net/tftp/client';
import { TftpRemoteError } from '../../../src/net/tftp/errors';
import { TftpServer } from '../../../src/net/tftp/server';
import {
  LOOPBACK,
  makeFile,
  missingProgram,
  programPath,
  runAtftp,
  runProgram,
  runTftpHpa,
  sha256File,
  startAtftpd,
  startInTftpd,
  testIf,
  tmpDir,
  until,
  within,
  type MadeFile,
  type Program,
  type RunningDaemon,
  type TmpDir,
} from '../../helpers/index';

// 33 MiB + 123 bytes: 67 585 blocks at blksize 512, past the 16-bit block number.
const BIG = 33 * 1024 * 1024 + 123;
// A multiple of 512, 1428 and 8192: the transfer ends with an empty DATA packet.
const EXACT = 2 ** 13 * 3 * 7 * 17;

interface Fixture {
  dir: TmpDir;
  /** The served root. */
  srv: string;
  /** Scratch space for downloads. */
  out: string;
  files: Record<'small' | 'exact' | 'empty' | 'nested' | 'big', MadeFile & { name: string }>;
  secret: string;
}

let fixture: Promise<Fixture> | undefined;
let outCounter = 0;

/** Made once per file, on first use, so a filtered run pays only for what it uses. */
function files(): Promise<Fixture> {
  fixture ??= (async () => {
    const dir = await tmpDir('pfs-interop-');
    const srv = join(dir.path, 'srv');
    const out = join(dir.path, 'out');
    const outside = join(dir.path, 'outside');
    for (const d of [srv, out, outside, join(srv, 'sub', 'dir')]) await mkdir(d, { recursive: true, mode: 0o755 });
    const named = async (name: string, size: number, seed: number) => ({ name, ...(await makeFile(srv, name, size, seed)) });
    const f = {
      small: await named('small.bin', 1_234_567, 1),
      exact: await named('exact.bin', EXACT, 2),
      empty: await named('empty.bin', 0, 3),
      nested: await named('sub/dir/nested.bin', 70_001, 4),
      big: await named('big.bin', BIG, 5),
    };
    const secret = join(outside, 'secret.txt');
    await writeFile(secret, 'not for TFTP clients\n', { mode: 0o644 });
    await symlink(secret, join(srv, 'link-out-abs'));
    await symlink('../outside/secret.txt', join(srv, 'link-out-rel'));
    await symlink('/etc/passwd', join(srv, 'link-passwd'));
    await symlink('small.bin', join(srv, 'alias.bin')); // stays inside: allowed
    return { dir, srv, out, files: f, secret };
  })();
  return fixture;
}

function outPath(fx: Fixture, label: string): string {
  return join(fx.out, `${++outCounter}-${label.replace(/[^\w.-]+/g, '_')}`);
}

async function assertSame(path: string, f: MadeFile, what: string): Promise<void> {
  assert.ok(existsSync(path), `${what}: no output file`);
  assert.is(statSync(path).size, f.size, `${what}: size`);
  assert.is(await sha256File(path), f.sha256, `${what}: SHA-256`);
}

// Daemons and our server are started on first use and stopped by the suites' after hooks.
const daemons = new Map<string, Promise<RunningDaemon>>();
function daemon(kind: 'in.tftpd' | 'atftpd'): Promise<RunningDaemon> {
  let d = daemons.get(kind);
  if (!d) {
    d = files().then((fx) => (kind === 'in.tftpd' ? startInTftpd(fx.srv) : startAtftpd(fx.srv)));
    daemons.set(kind, d);
  }
  return d;
}

let ours: Promise<TftpServer> | undefined;
function ourServer(): Promise<TftpServer> {
  ours ??= files().then(async (fx) => {
    const s = new TftpServer({ root: fx.srv, port: 0, bind: LOOPBACK });
    await s.start();
    return s;
  });
  return ours;
}

async function stopAll(): Promise<void> {
  for (const d of daemons.values()) await (await d.catch(() => undefined))?.stop();
  daemons.clear();
  await (await ours?.catch(() => undefined))?.stop();
  ours = undefined;
}

async function ourGet(port: number, file: string, label: string, opts: Partial<TftpGetOptions> = {}) {
  const fx = await files();
  const out = outPath(fx, label);
  const res = await tftpGetToFile({ host: LOOPBACK, port, file, ...opts }, out);
  return { out, res };
}

/** Expects our client's download of `file` to fail with a TFTP ERROR from the server. */
async function expectRemoteError(port: number, file: string, codes: number[]): Promise<TftpRemoteError> {
  const fx = await files();
  const out = outPath(fx, 'refused');
  try {
    await tftpGetToFile({ host: LOOPBACK, port, file, timeoutMs: 300, retries: 2 }, out);
  } catch (e) {
    assert.instance(e, TftpRemoteError, `"${file}": expected TftpRemoteError, got ${String(e)}`);
    const r = e as TftpRemoteError;
    assert.is(r.code, 'PFS_ERR_TFTP_REMOTE');
    assert.ok(codes.includes(r.tftpCode), `"${file}": TFTP error code ${r.tftpCode} (${r.remoteMessage}), expected one of ${codes}`);
    assert.not.ok(existsSync(out), 'a refused download leaves no file');
    assert.not.ok(existsSync(`${out}.part`), 'a refused download leaves no .part file');
    return r;
  }
  assert.unreachable(`"${file}" was served`);
  throw new Error('unreachable');
}

// ─── our client ← in.tftpd ──────────────────────────────────────────────────────────

const hpa = suite('our client ← in.tftpd (tftpd-hpa)');
hpa.after(stopAll);
const hpaTest = (name: string, fn: () => Promise<void>) => testIf(missingProgram('in.tftpd'), name, fn, hpa);

for (const blksize of [undefined, 1428]) {
  hpaTest(`small, exact-multiple and empty files, blksize ${blksize ?? 'default (512)'}`, () =>
    within(30_000, 'download', (async () => {
      const d = await daemon('in.tftpd');
      const fx = await files();
      for (const f of [fx.files.small, fx.files.exact, fx.files.empty, fx.files.nested]) {
        const { out, res } = await ourGet(d.port, f.name, `hpa-${blksize}-${f.name}`, { blksize });
        assert.is(res.bytes, f.size);
        await assertSame(out, f, `${f.name} blksize ${blksize}`);
      }
    })()),
  );
}

hpaTest('asking for windowsize: in.tftpd leaves it out of the OACK, the client falls back to 1', () =>
  within(30_000, 'download', (async () => {
    const d = await daemon('in.tftpd');
    const fx = await files();
    const f = fx.files.small;
    const dl = tftpGet({ host: LOOPBACK, port: d.port, file: f.name, blksize: 1428, windowsize: 16 });
    const hash = createHash('sha256');
    let largest = 0;
    for await (const chunk of dl) {
      hash.update(chunk);
      largest = Math.max(largest, chunk.length);
    }
    const n = await dl.negotiated;
    assert.is(n.blksize, 1428);
    assert.is(n.windowsize, 1);
    assert.is(n.tsize, f.size);
    assert.is(largest, 1428);
    assert.is(dl.bytes, f.size);
    assert.is(hash.digest('hex'), f.sha256);
  })()),
);

hpaTest('missing file: TftpRemoteError with code 1', () =>
  within(10_000, 'missing', (async () => {
    const d = await daemon('in.tftpd');
    await expectRemoteError(d.port, 'no-such-file.bin', [1]);
  })()),
);

hpaTest('33 MiB + 123 bytes at blksize 512: block numbers roll over past 65535', () =>
  within(120_000, 'big download', (async () => {
    const d = await daemon('in.tftpd');
    const fx = await files();
    const f = fx.files.big;
    const { out, res } = await ourGet(d.port, f.name, 'hpa-big', {});
    assert.is(res.bytes, f.size);
    await assertSame(out, f, 'big via in.tftpd');
  })()),
);

hpa.run();

// ─── our client ← atftpd ────────────────────────────────────────────────────────────

const atd = suite('our client ← atftpd');
atd.after(stopAll);
const atdTest = (name: string, fn: () => Promise<void>) => testIf(missingProgram('atftpd'), name, fn, atd);

for (const blksize of [512, 1428, 8192]) {
  for (const windowsize of [1, 4, 16]) {
    atdTest(`blksize ${blksize} × windowsize ${windowsize}`, () =>
      within(30_000, 'download', (async () => {
        const d = await daemon('atftpd');
        const fx = await files();
        for (const f of [fx.files.small, fx.files.exact]) {
          const dl = tftpGet({ host: LOOPBACK, port: d.port, file: f.name, blksize, windowsize });
          const hash = createHash('sha256');
          let blocks = 0;
          for await (const chunk of dl) {
            assert.ok(chunk.length <= blksize, 'a block is at most blksize');
            hash.update(chunk);
            blocks++;
          }
          const n = await dl.negotiated;
          assert.is(n.blksize, blksize);
          assert.is(n.windowsize, windowsize);
          assert.is(dl.bytes, f.size, `${f.name}: bytes`);
          assert.is(hash.digest('hex'), f.sha256, `${f.name}: SHA-256`);
          assert.ok(blocks >= Math.floor(f.size / blksize), 'streamed block by block');
        }
      })()),
    );
  }
}

atdTest('empty file and a nested path', () =>
  within(10_000, 'download', (async () => {
    const d = await daemon('atftpd');
    const fx = await files();
    for (const f of [fx.files.empty, fx.files.nested]) {
      const { out } = await ourGet(d.port, f.name, `atftpd-${f.name}`, { blksize: 1428, windowsize: 4 });
      await assertSame(out, f, f.name);
    }
  })()),
);

atdTest('missing file: TftpRemoteError with code 1', () =>
  within(10_000, 'missing', (async () => {
    const d = await daemon('atftpd');
    await expectRemoteError(d.port, 'no-such-file.bin', [1]);
  })()),
);

atdTest('33 MiB + 123 bytes at blksize 512, windowsize 4: block numbers roll over', () =>
  within(120_000, 'big download', (async () => {
    const d = await daemon('atftpd');
    const fx = await files();
    const f = fx.files.big;
    const { out, res } = await ourGet(d.port, f.name, 'atftpd-big', { windowsize: 4 });
    assert.is(res.bytes, f.size);
    await assertSame(out, f, 'big via atftpd');
  })()),
);

atd.run();

// ─── real clients ← our server ──────────────────────────────────────────────────────

const srv = suite('tftp (tftp-hpa) and atftp ← our TftpServer');
srv.after(stopAll);
const srvTest = (needs: Program[], name: string, fn: () => Promise<void>) => testIf(missingProgram(...needs), name, fn, srv);

srvTest(['tftp'], 'tftp-hpa: small, exact-multiple, empty and nested files', () =>
  within(60_000, 'tftp-hpa', (async () => {
    const s = await ourServer();
    const fx = await files();
    for (const f of [fx.files.small, fx.files.exact, fx.files.empty, fx.files.nested]) {
      const out = outPath(fx, `tftp-${f.name}`);
      const r = await runTftpHpa({ port: s.address().port, file: f.name, out });
      assert.ok(r.ok, `tftp-hpa ${f.name}: ${r.stdout}${r.stderr}`);
      await assertSame(out, f, `tftp-hpa ${f.name}`);
    }
  })()),
);

const atftpCombos: Array<{ blksize?: number; windowsize?: number; tsize?: boolean }> = [
  {},
  { tsize: true },
  { blksize: 1428 },
  { blksize: 1428, windowsize: 4, tsize: true },
  { blksize: 1428, windowsize: 16 },
  { blksize: 8192, windowsize: 16 },
  { windowsize: 8 },
  { blksize: 65464, windowsize: 2 },
];
for (const combo of atftpCombos) {
  const label = Object.entries(combo).map(([k, v]) => `${k} ${v}`).join(', ') || 'no options';
  srvTest(['atftp'], `atftp --option ${label}`, () =>
    within(60_000, 'atftp', (async () => {
      const s = await ourServer();
      const fx = await files();
      for (const f of [fx.files.small, fx.files.exact, fx.files.empty]) {
        const out = outPath(fx, `atftp-${label}-${f.name}`);
        const r = await runAtftp({ port: s.address().port, file: f.name, out, ...combo });
        assert.ok(r.ok, `atftp (${label}) ${f.name}: exit ${r.code} ${r.stderr}`);
        await assertSame(out, f, `atftp (${label}) ${f.name}`);
      }
    })()),
  );
}

srvTest(['atftp', 'tftp'], 'missing file: both real clients report the error', () =>
  within(30_000, 'missing', (async () => {
    const s = await ourServer();
    const fx = await files();
    const port = s.address().port;
    const a = await runAtftp({ port, file: 'no-such-file.bin', out: outPath(fx, 'atftp-missing') });
    assert.not.ok(a.ok, 'atftp must fail');
    assert.match(a.stderr, /not found/i);
    const t = await runTftpHpa({ port, file: 'no-such-file.bin', out: outPath(fx, 'tftp-missing') });
    assert.not.ok(t.ok, 'tftp-hpa must report an error');
    assert.match(t.stdout + t.stderr, /Error code 1/);
    await expectRemoteError(port, 'no-such-file.bin', [1]);
  })()),
);

const escapes = ['../outside/secret.txt', 'sub/../../outside/secret.txt', '/etc/passwd', 'link-out-abs', 'link-out-rel', 'link-passwd'];
srvTest(['atftp'], `path escapes are refused with an ERROR packet: ${escapes.join(', ')}`, () =>
  within(60_000, 'escapes', (async () => {
    const s = await ourServer();
    const fx = await files();
    const port = s.address().port;
    for (const name of escapes) {
      const r = await expectRemoteError(port, name, [1, 2]);
      assert.not.match(r.remoteMessage, /not for TFTP clients|root:/, 'the error does not leak content');
      const out = outPath(fx, `atftp-escape`);
      const a = await runAtftp({ port, file: name, out });
      assert.not.ok(a.ok, `atftp got "${name}"`);
      assert.match(a.stderr, /error received from server/i, `atftp "${name}": ${a.stderr}`);
      const got = existsSync(out) ? statSync(out).size : 0;
      assert.is(got, 0, `atftp wrote ${got} bytes of "${name}"`);
    }
    // A symlink that stays inside the root is an ordinary file.
    const { out } = await ourGet(port, 'alias.bin', 'alias');
    await assertSame(out, fx.files.small, 'alias.bin');
  })()),
);

srvTest(['atftp'], 'write requests are refused', () =>
  within(20_000, 'put', (async () => {
    const s = await ourServer();
    const fx = await files();
    const r = await runProgram(programPath('atftp'), ['-p', '-l', fx.files.small.path, '-r', 'uploaded.bin', LOOPBACK, String(s.address().port)], { timeoutMs: 15_000 });
    assert.is.not(r.code, 0, 'atftp -p must fail');
    assert.not.ok(existsSync(join(fx.srv, 'uploaded.bin')), 'nothing was written');
  })()),
);

srvTest(['atftp'], 'many transfers at once: 4 atftp and 2 of our clients in parallel', () =>
  within(60_000, 'parallel', (async () => {
    const s = await ourServer();
    const fx = await files();
    const port = s.address().port;
    const f = fx.files.small;
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 4; i++) {
      const out = outPath(fx, `par-atftp-${i}`);
      jobs.push(
        runAtftp({ port, file: f.name, out, blksize: 1428, windowsize: 1 + i * 4 }).then(async (r) => {
          assert.ok(r.ok, `atftp #${i}: ${r.stderr}`);
          await assertSame(out, f, `parallel atftp #${i}`);
        }),
      );
    }
    for (let i = 0; i < 2; i++) {
      jobs.push(ourGet(port, f.name, `par-ours-${i}`, { blksize: 1024, windowsize: 8 }).then(({ out }) => assertSame(out, f, `parallel ours #${i}`)));
    }
    await Promise.all(jobs);
    await until(() => s.stats.active === 0, { timeoutMs: 1000, what: 'no transfer left running on our server' });
  })()),
);

srvTest(['atftp', 'tftp'], '33 MiB + 123 bytes at blksize 512 to atftp and tftp-hpa: block numbers roll over', () =>
  within(180_000, 'big', (async () => {
    const s = await ourServer();
    const fx = await files();
    const f = fx.files.big;
    const port = s.address().port;
    const out = outPath(fx, 'big-atftp');
    const a = await runAtftp({ port, file: f.name, out, timeoutMs: 120_000 });
    assert.ok(a.ok, `atftp: ${a.stderr}`);
    await assertSame(out, f, 'big to atftp');
    const out2 = outPath(fx, 'big-tftp');
    const t = await runTftpHpa({ port, file: f.name, out: out2, timeoutMs: 120_000 });
    assert.ok(t.ok, `tftp-hpa: ${t.stdout}${t.stderr}`);
    await assertSame(out2, f, 'big to tftp-hpa');
  })()),
);

srv.after(async () => {
  await stopAll();
  await (await fixture?.catch(() => undefined))?.dir.cleanup();
  fixture = undefined;
});

srv.run();
