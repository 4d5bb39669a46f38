// Our client and server through a lossy UDP relay (drops, duplicates, reordering,
// seeded so a failure can be replayed), and TID checking (ERROR 5 to strangers).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { tftpGet, tftpGetToFile } from '../../../src/net/tftp/client';
import { TftpServer } from '../../../src/net/tftp/server';
import { TftpTimeoutError } from '../../../src/net/tftp/errors';
import {
  LOOPBACK,
  makeFile,
  runTftpHpa,
  sha256File,
  startAtftpd,
  startInTftpd,
  strangerSend,
  testWith,
  tmpDir,
  UdpRelay,
  until,
  within,
  type MadeFile,
  type TmpDir,
} from '../../helpers/index';

type Name = 'image' | 'exact' | 'small' | 'smallExact';
interface Fixture {
  dir: TmpDir;
  srv: string;
  out: string;
  files: Record<Name, MadeFile & { name: string }>;
}
let fixture: Promise<Fixture> | undefined;
function files(): Promise<Fixture> {
  fixture ??= (async () => {
    const dir = await tmpDir('pfs-loss-');
    const srv = join(dir.path, 'srv');
    const out = join(dir.path, 'out');
    await mkdir(srv, { mode: 0o755 });
    await mkdir(out, { mode: 0o755 });
    const named = async (name: string, size: number, seed: number) => ({ name, ...(await makeFile(srv, name, size, seed)) });
    return {
      dir,
      srv,
      out,
      files: {
        // ~1 MiB, not a multiple of any blksize used; and multiples of 512 and 1428 (empty last block).
        image: await named('image.bin', 1_048_576 + 4321, 11),
        exact: await named('exact.bin', 4 * 182_784, 12),
        // Lock-step (windowsize 1) pays a full timeout per lost datagram: smaller files keep it short.
        small: await named('small.bin', 200_001, 13),
        smallExact: await named('small-exact.bin', 182_784, 14),
      },
    };
  })();
  return fixture;
}

const SERVER_TIMEOUT_MS = 100;
const CLIENT_TIMEOUT_MS = 100;

async function startServer(root: string, timeoutMs = SERVER_TIMEOUT_MS): Promise<TftpServer> {
  const s = new TftpServer({ root, port: 0, bind: LOOPBACK, timeoutMs, retries: 8 });
  await s.start();
  return s;
}

/** Until the server has no transfer left (it has no event for that); fails after `ms`. */
async function waitIdle(s: TftpServer, ms: number): Promise<void> {
  await until(() => s.stats.active === 0, { timeoutMs: ms, what: "the server's transfers to end", everyMs: 20 });
}

const loss = suite('through a seeded lossy relay');
let counter = 0;

const cases: Array<{ windowsize: number; blksize: number; seed: number; files: Name[] }> = [
  { windowsize: 1, blksize: 1428, seed: 1, files: ['small', 'smallExact'] },
  { windowsize: 1, blksize: 512, seed: 2, files: ['smallExact'] },
  { windowsize: 8, blksize: 1428, seed: 3, files: ['image', 'exact'] },
  { windowsize: 8, blksize: 512, seed: 4, files: ['image'] },
  { windowsize: 16, blksize: 8192, seed: 5, files: ['image', 'exact'] },
];

for (const c of cases) {
  loss(`10 % drop, 5 % dup, 5 % reorder; windowsize ${c.windowsize}, blksize ${c.blksize}, seed ${c.seed}: byte-identical`, () =>
    within(60_000, 'lossy transfer', (async () => {
      const fx = await files();
      const server = await startServer(fx.srv);
      const relay = await UdpRelay.start({ serverPort: server.address().port, seed: c.seed, drop: 0.1, dup: 0.05, reorder: 0.05 });
      try {
        for (const f of c.files.map((n) => fx.files[n])) {
          const out = join(fx.out, `${++counter}-${f.name}`);
          const res = await tftpGetToFile(
            { host: LOOPBACK, port: relay.port, file: f.name, blksize: c.blksize, windowsize: c.windowsize, timeoutMs: CLIENT_TIMEOUT_MS, retries: 8, deadlineMs: 50_000 },
            out,
          );
          assert.is(res.bytes, f.size);
          assert.is(await sha256File(out), f.sha256, `${f.name}: SHA-256`);
        }
        const st = relay.stats;
        assert.ok(st.dropped > 0 && st.duplicated > 0 && st.reordered > 0, `the relay did impair traffic: ${JSON.stringify(st)}`);
        // Duplicated or retransmitted requests start extra transfers; each must end (ERROR 5 or timeout).
        await waitIdle(server, 10_000);
      } finally {
        await relay.stop();
        await server.stop();
      }
    })()),
  );
}

loss('heavy loss (30 % drop) at windowsize 8 still completes within the deadline', () =>
  within(90_000, 'heavy loss', (async () => {
    const fx = await files();
    const server = await startServer(fx.srv);
    const relay = await UdpRelay.start({ serverPort: server.address().port, seed: 42, drop: 0.3, dup: 0.02, reorder: 0.05 });
    try {
      const dl = tftpGet({ host: LOOPBACK, port: relay.port, file: fx.files.exact.name, blksize: 8192, windowsize: 8, timeoutMs: 100, retries: 10, deadlineMs: 80_000 });
      const hash = createHash('sha256');
      for await (const chunk of dl) hash.update(chunk);
      assert.is(hash.digest('hex'), fx.files.exact.sha256);
    } finally {
      await relay.stop();
      await server.stop();
    }
  })()),
);

loss('a dead server: TftpTimeoutError within the retry budget', () =>
  within(20_000, 'dead server', (async () => {
    const fx = await files();
    const server = await startServer(fx.srv);
    const relay = await UdpRelay.start({ serverPort: server.address().port, seed: 7, drop: 1 });
    const started = Date.now();
    try {
      await tftpGetToFile({ host: LOOPBACK, port: relay.port, file: fx.files.image.name, timeoutMs: 100, retries: 3 }, join(fx.out, 'dead'));
      assert.unreachable('download from a silent server succeeded');
    } catch (e) {
      assert.instance(e, TftpTimeoutError, String(e));
      assert.is((e as TftpTimeoutError).code, 'PFS_ERR_TFTP_TIMEOUT');
      // 100 + 200 + 400 + 800 ms of back-off, with slack.
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    } finally {
      await relay.stop();
      await server.stop();
    }
  })()),
);

testWith(['tftp'], 'no Sorcerer\'s Apprentice: with duplicates (no loss) our server sends each block once, to our client and to tftp-hpa', () =>
  within(30_000, 'duplicates', (async () => {
    const fx = await files();
    const f = fx.files.smallExact; // 357 blocks of 512 plus the empty last one
    const blocks = Math.floor(f.size / 512) + 1;
    const server = await startServer(fx.srv, 1000);
    try {
      const relay = await UdpRelay.start({ serverPort: server.address().port, seed: 9, dup: 0.1 });
      const out = join(fx.out, `${++counter}-dup-ours`);
      await tftpGetToFile({ host: LOOPBACK, port: relay.port, file: f.name, tsize: false }, out);
      assert.is(await sha256File(out), f.sha256);
      await relay.stop();
      assert.ok(relay.stats.duplicated > 20, JSON.stringify(relay.stats));
      assert.ok(relay.stats.fromServer <= blocks + 2, `server sent ${relay.stats.fromServer} datagrams for ${blocks} blocks`);

      const relay2 = await UdpRelay.start({ serverPort: server.address().port, seed: 10, dup: 0.1 });
      const out2 = join(fx.out, `${++counter}-dup-tftp`);
      const r = await runTftpHpa({ port: relay2.port, file: f.name, out: out2, timeoutMs: 20_000 });
      await relay2.stop();
      assert.ok(r.ok, r.stdout + r.stderr);
      assert.is(await sha256File(out2), f.sha256);
      // tftp-hpa ACKs every duplicate DATA; a server that answered duplicate ACKs would double from there on.
      assert.ok(relay2.stats.fromServer <= blocks + 2, `server sent ${relay2.stats.fromServer} datagrams for ${blocks} blocks`);
    } finally {
      await server.stop();
    }
  })()),
  loss,
);

testWith(['in.tftpd', 'atftpd'], 'our client ← in.tftpd and atftpd through duplicates and reordering', () =>
  within(60_000, 'real servers', (async () => {
    const fx = await files();
    const f = fx.files.small;
    for (const start of [startInTftpd, startAtftpd]) {
      const d = await start(fx.srv);
      try {
        const relay = await UdpRelay.start({ serverPort: d.port, seed: 21, dup: 0.05, reorder: 0.05 });
        try {
          const out = join(fx.out, `${++counter}-${d.name}`);
          await tftpGetToFile({ host: LOOPBACK, port: relay.port, file: f.name, blksize: 512, timeoutMs: 200, deadlineMs: 25_000 }, out);
          assert.is(await sha256File(out), f.sha256, `${d.name}: SHA-256`);
          assert.ok(relay.stats.duplicated > 0 && relay.stats.reordered > 0, JSON.stringify(relay.stats));
        } finally {
          await relay.stop();
        }
      } finally {
        await d.stop();
      }
    }
  })()),
  loss,
);

loss.after(async () => {
  await (await fixture?.catch(() => undefined))?.dir.cleanup();
  fixture = undefined;
});

loss.run();

// ─── TID checking ───────────────────────────────────────────────────────────────────

const tid = suite('transfer IDs (RFC 1350 §4)');

function rrq(file: string, opts: Record<string, string> = {}): Buffer {
  const parts = [file, 'octet', ...Object.entries(opts).flat()].map((s) => Buffer.from(`${s}\0`, 'latin1'));
  return Buffer.concat([Buffer.from([0, 1]), ...parts]);
}
function ack(block: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(4, 0);
  b.writeUInt16BE(block & 0xffff, 2);
  return b;
}
function parse(m: Buffer): { op: number; block?: number; code?: number; len: number } {
  const op = m.readUInt16BE(0);
  if (op === 3 || op === 4) return { op, block: m.readUInt16BE(2), len: m.length - 4 };
  if (op === 5) return { op, code: m.readUInt16BE(2), len: m.length - 4 };
  return { op, len: m.length };
}

tid('the server answers a stranger on a transfer port with ERROR 5 and the transfer goes on', () =>
  within(20_000, 'stranger', (async () => {
    const fx = await files();
    const server = await startServer(fx.srv, 1000);
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((ok) => sock.bind(0, LOOPBACK, () => ok()));
    const inbox: Array<{ m: Buffer; port: number }> = [];
    let waiting: ((p: { m: Buffer; port: number }) => void) | undefined;
    sock.on('message', (m, ri) => {
      const p = { m, port: ri.port };
      if (waiting) waiting(p);
      else inbox.push(p);
    });
    // The next datagram from the server, as soon as it arrives; fails after 3 s.
    const next = () => {
      const queued = inbox.shift();
      if (queued) return Promise.resolve(queued);
      return within(3000, 'a packet from the server', new Promise<{ m: Buffer; port: number }>((ok) => (waiting = (p) => {
        waiting = undefined;
        ok(p);
      })));
    };
    try {
      sock.send(rrq(fx.files.image.name, { blksize: '1024' }), server.address().port, LOOPBACK);
      const oack = await next();
      assert.is(parse(oack.m).op, 6, 'OACK');
      const tidPort = oack.port;
      assert.is.not(tidPort, server.address().port, 'the transfer runs on its own port');
      sock.send(ack(0), tidPort, LOOPBACK);
      const d1 = await next();
      assert.equal([parse(d1.m).op, parse(d1.m).block, parse(d1.m).len], [3, 1, 1024]);

      // A stranger (another port) ACKs on the transfer's port: ERROR 5 back to it.
      const reply = await strangerSend(ack(1), tidPort);
      assert.ok(reply, 'the stranger got an answer');
      assert.equal([parse(reply!).op, parse(reply!).code], [5, 5], 'ERROR 5 (unknown transfer ID)');

      // The real client carries on undisturbed.
      sock.send(ack(1), tidPort, LOOPBACK);
      let d2 = await next();
      while (parse(d2.m).op === 3 && parse(d2.m).block === 1) d2 = await next(); // a retransmission may sneak in
      assert.equal([parse(d2.m).op, parse(d2.m).block, d2.port], [3, 2, tidPort]);
      sock.send(Buffer.from([0, 5, 0, 0, 0x73, 0x74, 0x6f, 0x70, 0]), tidPort, LOOPBACK); // ERROR 0 "stop"
      await waitIdle(server, 2000);
    } finally {
      sock.close();
      await server.stop();
    }
  })()),
);

tid('the client answers a stranger with ERROR 5 and its download goes on', () =>
  within(30_000, 'stranger to client', (async () => {
    const fx = await files();
    const server = await startServer(fx.srv);
    const relay = await UdpRelay.start({ serverPort: server.address().port, seed: 1 });
    try {
      const dl = tftpGet({ host: LOOPBACK, port: relay.port, file: fx.files.image.name, blksize: 512, timeoutMs: 500 });
      const hash = createHash('sha256');
      let poked = false;
      for await (const chunk of dl) {
        hash.update(chunk);
        if (!poked && dl.bytes >= 100 * 512) {
          poked = true;
          // DATA for the next block from a port the client never talked to.
          const fake = Buffer.alloc(4 + 512, 0xee);
          fake.writeUInt16BE(3, 0);
          fake.writeUInt16BE(101, 2);
          const reply = await relay.strangerToClient(fake);
          assert.ok(reply, 'the stranger got an answer');
          assert.equal([parse(reply!).op, parse(reply!).code], [5, 5], 'ERROR 5 (unknown transfer ID)');
        }
      }
      assert.ok(poked);
      assert.is(hash.digest('hex'), fx.files.image.sha256, 'the stranger\'s DATA was not taken');
    } finally {
      await relay.stop();
      await server.stop();
    }
  })()),
);

tid.after(async () => {
  await (await fixture?.catch(() => undefined))?.dir.cleanup();
  fixture = undefined;
});

tid.run();
