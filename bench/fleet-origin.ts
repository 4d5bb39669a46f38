// The far side of the fleet benchmark, run inside the origin's network namespace:
// a TFTP server on the namespace's loopback behind the user-space WAN emulator
// (half the RTT each way, and a rate unless --rate inf), listening on the origin's LAN-side address.
// Prints one JSON line when ready ({"ready":true,"port":N}) and then, every
// 250 ms and once more at SIGTERM, the bytes the server has sent so far:
// {"t":epochMs,"bytesSent":N,"byFile":{name:bytes},"transfers":N}.
import { TftpServer } from '../src/net/tftp/server';
import { WanEmulator } from '../src/net/wan';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`fleet-origin: --${name} is required`);
  return v;
}

const dir = arg('dir');
const listen = arg('listen');
const port = Number(arg('port', '69'));
const rateArg = arg('rate', 'inf');
// inf: no rate here (the origin's shaped port sets it), only the delay.
const rate = rateArg === 'inf' ? Infinity : Number(rateArg);
const pipeline = Number(arg('pipeline', '1'));
const rttMs = Number(arg('rtt', '150'));

const server = new TftpServer({ root: dir, port: 0, bind: '127.0.0.1', maxWindowsize: 1024, pipeline });
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
