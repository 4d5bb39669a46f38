// The far side of the fleet benchmark, run inside the origin's network namespace:
// a TFTP server on the namespace's loopback behind the user-space WAN emulator
// (half the RTT each way, and a rate unless --rate inf), listening on the origin's LAN-side address.
// Prints one JSON line when ready ({"ready":true,"port":N}) and then, every
// 250 ms and once more at SIGTERM, the bytes the server has sent so far:
// {"t":epochMs,"bytesSent":N,"byFile":{name:bytes},"transfers":N}.
import { parseArgs } from 'node:util';
import { TftpServer } from '../src/net/tftp/server';
import { WanEmulator } from '../src/net/wan';
import { benchArgs, numberArg } from './args';

const USAGE = `Usage: node --import tsx bench/fleet-origin.ts --dir DIR --listen ADDR [options]
(bench:fleet starts it inside the origin's namespace)

  --dir DIR         the folder served
  --listen ADDR     the origin's LAN-side address
  --port 69         the port there
  --rate inf        the WAN rate in bytes per second; inf: none here (the origin's shaped port sets it)
  --rtt 150         the WAN's round trip in milliseconds
  --pipeline 1      windows the server keeps in flight per transfer
  -h, --help        this text
`;

const { dir, listen, port, rate, pipeline, rttMs } = benchArgs('fleet-origin', USAGE, (args) => {
  const { values: v } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      dir: { type: 'string' },
      listen: { type: 'string' },
      port: { type: 'string', default: '69' },
      rate: { type: 'string', default: 'inf' },
      rtt: { type: 'string', default: '150' },
      pipeline: { type: 'string', default: '1' },
    },
  });
  if (v.dir === undefined) throw new Error('--dir is required');
  if (v.listen === undefined) throw new Error('--listen is required');
  return {
    dir: v.dir,
    listen: v.listen,
    port: numberArg(v.port, '--port'),
    rate: v.rate === 'inf' ? Infinity : numberArg(v.rate, '--rate', { min: 1, fractions: true }),
    pipeline: numberArg(v.pipeline, '--pipeline', { min: 1 }),
    rttMs: numberArg(v.rtt, '--rtt', { fractions: true }),
  };
});

// Behind the WAN emulator every board reaches the server from the emulator's one address
// (as a site behind NAT would): the per-address cap that guards a server on a LAN
// (8 transfers) would refuse the fleet's configuration requests ('server busy') and
// hold the traditional row to 8 boards at a time, so the origin takes what a CUCM
// would: any number of clients.
const server = new TftpServer({ root: dir, port: 0, bind: '127.0.0.1', maxWindowsize: 1024, pipeline, maxTransfers: 4096, maxPerClient: 4096 });
await server.start();
const wan = new WanEmulator({ listen: { address: listen, port }, origin: server.address(), rate, rttMs });
await wan.start();

const report = () => {
  const byFile: Record<string, number> = {};
  for (const [k, v] of server.stats.bytesByFile) byFile[k] = v;
  process.stdout.write(`${JSON.stringify({ t: Date.now(), bytesSent: server.stats.bytesSent, byFile, transfers: server.stats.transfers })}\n`);
};
process.stdout.write(`${JSON.stringify({ ready: true, port: wan.address().port })}\n`);
const iv = setInterval(report, 250);
const stop = async () => {
  clearInterval(iv);
  report();
  await wan.stop();
  await server.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
