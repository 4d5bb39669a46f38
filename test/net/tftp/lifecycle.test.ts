// Ends of a transfer other than success (abort, deadline, server stop), option
// corner cases (no options at all, RFC 2349 timeout, netascii), back-pressure of a
// slow consumer, and roll-over with windows: our client and server, plus the real
// programs where they have something to say.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tftpGet, tftpGetToFile } from '../../../src/net/tftp/client';
import { TftpRemoteError, TftpTimeoutError } from '../../../src/net/tftp/errors';
import { TftpServer } from '../../../src/net/tftp/server';
import {
  LOOPBACK,
  makeFile,
  programPath,
  runAtftp,
  runProgram,
  sha256File,
  sleep,
  startAtftpd,
  startInTftpd,
  strangerSend,
  testWith,
  tmpDir,
  until,
  within,
  type MadeFile,
  type TmpDir,
} from '../../helpers/index';

interface Fixture {
  dir: TmpDir;
  srv: string;
  out: string;
  small: MadeFile & { name: string };
  big: MadeFile & { name: string };
}
let fixture: Promise<Fixture> | undefined;
function files(): Promise<Fixture> {
  fixture ??= (async () => {
    const dir = await tmpDir('pfs-lifecycle-');
    const srv = join(dir.path, 'srv');
    const out = join(dir.path, 'out');
    await mkdir(srv, { mode: 0o755 });
    await mkdir(out, { mode: 0o755 });
    return {
      dir,
      srv,
      out,
      small: { name: 'small.bin', ...(await makeFile(srv, 'small.bin', 300_007, 51)) },
      // 33 MiB + 123: rolls over at blksize 512.
      big: { name: 'big.bin', ...(await makeFile(srv, 'big.bin', 33 * 1024 * 1024 + 123, 52)) },
    };
  })();
  return fixture;
}
let n = 0;
const outFile = async (label: string) => join((await files()).out, `${++n}-${label}`);

async function withServer<T>(fn: (s: TftpServer, fx: Fixture) => Promise<T>, timeoutMs = 1000): Promise<T> {
  const fx = await files();
  const s = new TftpServer({ root: fx.srv, port: 0, bind: LOOPBACK, timeoutMs });
  await s.start();
  try {
    return await fn(s, fx);
  } finally {
    await s.stop();
  }
}

/** Milliseconds until the server has no transfer left (it has no event for that). */
function idle(s: TftpServer, ms: number): Promise<number> {
  return until(() => s.stats.active === 0, { timeoutMs: ms, what: 'the server to drop its transfer' });
}

const life = suite('ends of a transfer');

life('breaking out of the iterator sends ERROR: the server drops the transfer at once', () =>
  within(20_000, 'break', withServer(async (s, fx) => {
    const dl = tftpGet({ host: LOOPBACK, port: s.address().port, file: fx.big.name, blksize: 1024, windowsize: 4 });
    for await (const _ of dl) {
      if (dl.bytes > 1 << 20) break;
    }
    // The server's own timeout is 1 s with 5 retries: ending well before that means it got the ERROR.
    const took = await idle(s, 3000);
    assert.ok(took < 500, `server transfer lingered ${took} ms: the client's ERROR did not arrive`);
  })),
);

life('an AbortSignal ends the download with PFS_ERR_TFTP_ABORTED and the server is told', () =>
  within(20_000, 'signal', withServer(async (s, fx) => {
    const ac = new AbortController();
    const out = await outFile('aborted');
    const p = tftpGetToFile({ host: LOOPBACK, port: s.address().port, file: fx.big.name, signal: ac.signal }, out, (bytes) => {
      if (bytes > 256 * 1024) ac.abort(new Error('operator cancelled'));
    });
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(e, 'the download must fail');
    assert.is((e as { code?: string }).code, 'PFS_ERR_TFTP_ABORTED', String(e));
    assert.not.ok(existsSync(out) || existsSync(`${out}.part`), 'no file and no .part left');
    const took = await idle(s, 3000);
    assert.ok(took < 500, `server transfer lingered ${took} ms: the client's ERROR did not arrive`);
  })),
);

life('deadlineMs bounds the whole transfer: TftpTimeoutError, and the server is told', () =>
  within(20_000, 'deadline', withServer(async (s, fx) => {
    const started = Date.now();
    try {
      await tftpGetToFile({ host: LOOPBACK, port: s.address().port, file: fx.big.name, deadlineMs: 300 }, await outFile('deadline'));
      assert.unreachable('33 MiB in lock-step within 300 ms');
    } catch (e) {
      assert.instance(e, TftpTimeoutError, String(e));
      assert.is((e as TftpTimeoutError).code, 'PFS_ERR_TFTP_TIMEOUT');
    }
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    const took = await idle(s, 3000);
    assert.ok(took < 500, `server transfer lingered ${took} ms: the client's ERROR did not arrive`);
  })),
);

life('stopping the server mid-transfer: the client gets an ERROR at once, not a timeout', () =>
  within(20_000, 'server stop', (async () => {
    const fx = await files();
    const s = new TftpServer({ root: fx.srv, port: 0, bind: LOOPBACK });
    await s.start();
    // Short client timeouts: without the server's ERROR this ends in ~3.5 s with a TftpTimeoutError.
    const dl = tftpGet({ host: LOOPBACK, port: s.address().port, file: fx.big.name, timeoutMs: 500, retries: 2 });
    let stoppedAt = 0;
    try {
      for await (const _ of dl) {
        if (!stoppedAt && dl.bytes > 512 * 1024) {
          stoppedAt = Date.now();
          void s.stop();
        }
      }
      assert.unreachable('the download finished although the server stopped');
    } catch (e) {
      assert.instance(e, TftpRemoteError, `expected the server's ERROR, got: ${String(e)}`);
      assert.ok(Date.now() - stoppedAt < 400, `noticed after ${Date.now() - stoppedAt} ms`);
    } finally {
      await s.stop();
    }
  })()),
);

life.after(async () => {
  await (await fixture?.catch(() => undefined))?.dir.cleanup();
  fixture = undefined;
});
life.run();

// ─── options ────────────────────────────────────────────────────────────────────────

const opt = suite('option corner cases');

testWith(['in.tftpd', 'atftpd'], 'no options at all (tsize: false, default blksize): DATA answers the request directly', () =>
  within(30_000, 'plain', (async () => {
    const fx = await files();
    const servers: Array<[string, number, () => Promise<void>]> = [];
    const ours = new TftpServer({ root: fx.srv, port: 0, bind: LOOPBACK });
    await ours.start();
    servers.push(['our server', ours.address().port, () => ours.stop()]);
    const hpa = await startInTftpd(fx.srv);
    servers.push([hpa.name, hpa.port, hpa.stop]);
    const at = await startAtftpd(fx.srv);
    servers.push([at.name, at.port, at.stop]);
    try {
      for (const [name, port] of servers) {
        // The very first answer to a request without options must be DATA 1 (RFC 2347).
        const rrq = Buffer.concat([Buffer.from([0, 1]), Buffer.from(`${fx.small.name}\0octet\0`)]);
        const first = await strangerSend(rrq, port);
        assert.ok(first, `${name}: no answer`);
        assert.equal([first!.readUInt16BE(0), first!.readUInt16BE(2), first!.length], [3, 1, 516], `${name}: DATA 1 of 512 bytes`);

        const dl = tftpGet({ host: LOOPBACK, port, file: fx.small.name, tsize: false });
        const hash = createHash('sha256');
        for await (const c of dl) hash.update(c);
        assert.is(hash.digest('hex'), fx.small.sha256, name);
        const neg = await dl.negotiated;
        assert.equal({ blksize: neg.blksize, windowsize: neg.windowsize, tsize: neg.tsize }, { blksize: 512, windowsize: 1, tsize: undefined }, name);
      }
    } finally {
      for (const [, , stop] of servers) await stop();
    }
  })()),
  opt,
);

testWith(['in.tftpd', 'atftpd', 'atftp'], 'RFC 2349 timeout: our client asks for 2 s and in.tftpd, atftpd and our server agree; atftp asks ours', () =>
  within(30_000, 'timeout option', (async () => {
    const fx = await files();
    const ours = new TftpServer({ root: fx.srv, port: 0, bind: LOOPBACK });
    await ours.start();
    const hpa = await startInTftpd(fx.srv);
    const at = await startAtftpd(fx.srv);
    try {
      const ports: Array<[string, number]> = [['our server', ours.address().port], [hpa.name, hpa.port], [at.name, at.port]];
      for (const [name, port] of ports) {
        const dl = tftpGet({ host: LOOPBACK, port, file: fx.small.name, timeoutMs: 2000, blksize: 1428 });
        const hash = createHash('sha256');
        for await (const c of dl) hash.update(c);
        assert.is(hash.digest('hex'), fx.small.sha256, name);
        assert.is((await dl.negotiated).timeoutMs, 2000, `${name}: timeout agreed`);
      }
      const out = await outFile('atftp-timeout');
      const r = await runProgram(programPath('atftp'), ['--option', 'timeout 3', '--option', 'blksize 1000', '-g', '-r', fx.small.name, '-l', out, LOOPBACK, String(ours.address().port)]);
      assert.is(r.code, 0, r.stderr);
      assert.is(await sha256File(out), fx.small.sha256);
    } finally {
      await ours.stop();
      await hpa.stop();
      await at.stop();
    }
  })()),
  opt,
);

testWith(['tftp'], 'netascii is refused by our server with ERROR 4; tftp-hpa reports it', () =>
  within(20_000, 'netascii', withServer(async (s, fx) => {
    const rrq = Buffer.concat([Buffer.from([0, 1]), Buffer.from(`${fx.small.name}\0netascii\0`)]);
    const reply = await strangerSend(rrq, s.address().port);
    assert.ok(reply, 'an answer');
    assert.equal([reply!.readUInt16BE(0), reply!.readUInt16BE(2)], [5, 4], 'ERROR 4');
    const out = await outFile('netascii');
    const r = await runProgram(programPath('tftp'), [LOOPBACK, String(s.address().port), '-m', 'netascii', '-c', 'get', fx.small.name, out], { timeoutMs: 15_000 });
    assert.match(r.stdout + r.stderr, /Error code 4/, r.stdout + r.stderr);
  })),
  opt,
);

testWith(['atftp'], 'server limits: asked 1428 / 16, a server capped at 1000 / 4 answers that, and both clients follow', () =>
  within(30_000, 'limits', (async () => {
    const fx = await files();
    const s = new TftpServer({ root: fx.srv, port: 0, bind: LOOPBACK, maxBlksize: 1000, maxWindowsize: 4 });
    await s.start();
    try {
      const dl = tftpGet({ host: LOOPBACK, port: s.address().port, file: fx.small.name, blksize: 1428, windowsize: 16 });
      const hash = createHash('sha256');
      let largest = 0;
      for await (const c of dl) {
        hash.update(c);
        largest = Math.max(largest, c.length);
      }
      const neg = await dl.negotiated;
      assert.equal([neg.blksize, neg.windowsize, neg.tsize], [1000, 4, fx.small.size]);
      assert.is(largest, 1000);
      assert.is(hash.digest('hex'), fx.small.sha256);
      const out = await outFile('atftp-capped');
      const r = await runAtftp({ port: s.address().port, file: fx.small.name, out, blksize: 1428, windowsize: 16 });
      assert.ok(r.ok, r.stderr);
      assert.is(await sha256File(out), fx.small.sha256);
    } finally {
      await s.stop();
    }
  })()),
  opt,
);

opt.run();

// ─── flow ───────────────────────────────────────────────────────────────────────────

const flow = suite('flow');

for (const sack of [false, true]) {
flow(`a slow consumer holds the sender back: blocks waiting stay bounded, nothing piles up (sack ${sack ? 'on' : 'off'})`, () =>
  within(60_000, 'slow consumer', withServer(async (s, fx) => {
    const blksize = 512;
    const dl = tftpGet({ host: LOOPBACK, port: s.address().port, file: fx.big.name, blksize, windowsize: 16, sack });
    let consumed = 0;
    let maxLag = 0;
    let blocks = 0;
    for await (const c of dl) {
      consumed += c.length;
      maxLag = Math.max(maxLag, dl.bytes - consumed);
      if (++blocks % 64 === 0) await sleep(2); // the scenario: a consumer slower than the network
      if (consumed >= 2 << 20) break;
    }
    // 256 queued blocks before ACKs are held, plus the window in flight, plus slack. With
    // sack the window is the sender's, grown on a quick link, but never past the
    // client's room: 256 KiB past its last in-order block by default.
    const inFlight = sack ? (256 << 10) / blksize : 16;
    assert.ok(maxLag <= (256 + inFlight + 128) * blksize, `${maxLag} bytes were waiting for the consumer`);
  })),
);
}

flow('our client ← our server, 33 MiB + 123 at blksize 512 with windowsize 16: roll-over inside windows', () =>
  within(60_000, 'big windowed', withServer(async (s, fx) => {
    const out = await outFile('big-ws16');
    const res = await tftpGetToFile({ host: LOOPBACK, port: s.address().port, file: fx.big.name, windowsize: 16 }, out);
    assert.is(res.bytes, fx.big.size);
    assert.is(await sha256File(out), fx.big.sha256);
  })),
);

testWith(['atftp'], 'atftp ← our server, 33 MiB + 123 at blksize 512 with windowsize 8', () =>
  within(90_000, 'atftp big windowed', withServer(async (s, fx) => {
    const out = await outFile('atftp-big-ws8');
    const r = await runAtftp({ port: s.address().port, file: fx.big.name, out, windowsize: 8, timeoutMs: 80_000 });
    assert.ok(r.ok, r.stderr);
    assert.is(await sha256File(out), fx.big.sha256);
  })),
  flow,
);

flow.after(async () => {
  await (await fixture?.catch(() => undefined))?.dir.cleanup();
  fixture = undefined;
});
flow.run();
