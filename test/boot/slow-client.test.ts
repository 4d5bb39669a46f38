// One slow TCP client must not keep `pfs boot` from exiting (D7): a connection to the
// peer port that never finishes its StreamRequest (a byte now and then, never idle
// long enough to be timed out) held the process 96 s after it said "exit 10". The bundled CLI (dist/pfs.cjs, built by npm test) on one board over
// loopback, with such a client connected to its peer port the whole time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadModels } from '../../src/profiles';
import { prepareSite } from '../../src/lab/site';
import { TftpServer } from '../../src/net/tftp/server';
import { freePortRange, until, within } from '../helpers/net';

const BUNDLE = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../dist/pfs.cjs');

function connect(port: number): Promise<net.Socket | undefined> {
  return new Promise((done) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => done(s));
    s.once('error', () => done(undefined));
  });
}

test('regression D7: a client that never finishes its StreamRequest does not keep pfs boot from exiting once it committed', async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "npm run build" (npm test does)`);
  const dir = await mkdtemp(join(tmpdir(), 'pfs-slow-client-'));
  const server = new TftpServer({ root: join(dir, 'origin'), port: 0, pipeline: 2, maxWindowsize: 128 });
  let slow: net.Socket | undefined;
  let trickle: NodeJS.Timeout | undefined;
  try {
    const models = await loadModels('boards');
    await mkdir(join(dir, 'origin'));
    await server.start();
    const base = await freePortRange(2);
    const s = await prepareSite(dir, {
      models: [{ profile: models.get('CP-7961G')!, count: 1 }],
      size: 256 * 1024,
      files: 1,
      enterprisePfs: true,
      pfsOff: 0,
      server: () => ({ host: '127.0.0.1', port: server.address().port }),
      boardConfig: () => ({ addr: '127.0.0.1', peer_port: String(base + 1), broadcast: `127.255.255.255:${base}` }),
    });
    const board = spawn(process.execPath, [BUNDLE, 'boot', '--board', 'sim', '--boards-dir', 'boards', '--root', s.boards[0]!.root, '--server', `127.0.0.1:${server.address().port}`, '--config-tries', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let rebootingAt = 0;
    const read = (c: Buffer) => {
      out += c.toString();
      if (!rebootingAt && out.includes('rebooting into')) rebootingAt = performance.now();
    };
    board.stdout.on('data', read);
    board.stderr.on('data', read);
    const exited = new Promise<number | null>((done) => board.once('close', (code) => done(code)));
    // The slow client: connected as soon as the peer port listens, one byte of its header, then nothing.
    await until(async () => {
      slow = await connect(base + 1);
      return slow !== undefined;
    }, { timeoutMs: 20_000, what: 'the board to listen on its peer port' });
    slow!.on('error', () => {});
    // One byte a second: never idle long enough for the header timeout, never a whole header (26 bytes).
    let sent = 0;
    trickle = setInterval(() => {
      if (sent < 25 && slow!.writable) slow!.write(Buffer.from([0x50 + sent++]));
    }, 1000);
    const code = await within(60_000, 'pfs boot to exit', exited);
    const exitAt = performance.now();
    assert.is(code, 10, out);
    assert.ok(rebootingAt > 0, 'the board said it reboots');
    assert.ok(exitAt - rebootingAt < 1500, `the process ended ${Math.round(exitAt - rebootingAt)} ms after "rebooting into" (a slow client held it)`);
  } finally {
    clearInterval(trickle);
    slow?.destroy();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
