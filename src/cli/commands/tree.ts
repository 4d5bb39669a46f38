import { intOption, parse, type Command } from '../command';
import { UsageError } from '../../errors';
import { parseMs } from '../../units/parse';
import { TreeWatcher } from '../../tree/watch';
import { renderTree } from '../../tree/render';
import { defaultBroadcast } from '../../tree/subnet';
import { shapeOf } from '../../tree/shape';
import { StatusPage } from '../../tree/http';

export const treeCommand: Command = {
  path: ['tree'],
  summary: 'show every live hierarchy on the subnet: roots, who hangs below whom, progress',
  usage: `Usage: pfs tree [--once | --watch] [--json] [--http ADDR:PORT] [--port 4051] [--broadcast ADDR]

Listens on the peer port to the hierarchies' adverts and asks every board, with one
broadcast status query (read-only and rate-limited: docs/PROTOCOL.md), for its part
in each hierarchy. Shows, per hierarchy: model, file, root (XID, address, HROOT
time), the tree level by level with each board's share and rate, and the boards that
gave up (and why), are orphaned, stuck or silent.

Options:
  --once              print what is heard within --wait and exit (default when the
                      output is not a terminal)
  --watch             redraw live, fitted to the terminal (default on a terminal)
  --json              JSON: with --once one snapshot, else one line per change
  --http ADDR:PORT    serve a status page there (SVG, live by server-sent events);
                      port 0: a free one (the address is printed)
  --port PORT         the peer port (default 4051)
  --broadcast ADDR    the subnet's broadcast address (default: this machine's first
                      non-loopback interface's, else 127.255.255.255)
  --wait TIME         --once: the longest it listens (default 800ms); it ends sooner,
                      once the second round of answers has come and 100ms passed
                      without a new one
  --interval TIME     how often every board is asked again (default 1s)`,

  async run({ argv }) {
    const { values } = parse(
      argv,
      {
        once: { type: 'boolean' },
        watch: { type: 'boolean' },
        json: { type: 'boolean' },
        http: { type: 'string' },
        port: { type: 'string' },
        broadcast: { type: 'string' },
        wait: { type: 'string' },
        interval: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    if (values.once && values.watch) throw new UsageError('give --once or --watch, not both');
    if (values.once && values.http) throw new UsageError('--http serves a live page: it does not go with --once');
    const port = intOption('port', values.port, 1, 65535) ?? 4051;
    const broadcast = values.broadcast ?? defaultBroadcast();
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(broadcast)) throw new UsageError(`--broadcast must be an IPv4 address, got "${broadcast}"`);
    const wait = parseMs(values.wait ?? '800ms', '--wait');
    const intervalMs = parseMs(values.interval ?? '1s', '--interval');
    if (intervalMs < 100) throw new UsageError(`--interval must be at least 100ms, got ${intervalMs} ms`);
    const once = values.once ?? (!values.watch && !values.http && !process.stdout.isTTY);

    let changed = false;
    let lastHeard = 0;
    const watcher = new TreeWatcher({
      broadcast,
      port,
      intervalMs,
      onChange: () => {
        changed = true;
        lastHeard = performance.now();
      },
    });
    await watcher.start();
    try {
      if (once) {
        await settle(wait, () => watcher.ask(), () => lastHeard);
        const s = watcher.snapshot();
        // startedAt: when this process started, askedAt: when it first asked the boards (epoch ms):
        // the picture spans askedAt..at, and a reader sees how much of the wait was start-up.
        process.stdout.write(values.json ? JSON.stringify({ ...s, startedAt: Math.round(performance.timeOrigin), askedAt: watcher.askedAt }) + '\n' : renderTree(s, process.stdout.columns ?? 200, Infinity).join('\n') + '\n');
        return 0;
      }
      let page: StatusPage | undefined;
      if (values.http) {
        const at = httpAddress(values.http);
        page = new StatusPage(() => watcher.snapshot());
        const bound = await page.listen(at.host, at.port);
        process.stderr.write(`pfs tree: status page on http://${bound.host}:${bound.port}/\n`);
      }
      let lastShape = '';
      let drawn = 0;
      const tty = process.stdout.isTTY && !values.json;
      const draw = () => {
        if (!changed) return;
        changed = false;
        const s = watcher.snapshot();
        page?.publish(s);
        if (values.json) {
          // One line per change of the tree (roots, parents, states), not per byte.
          const shape = shapeOf(s);
          if (shape !== lastShape) process.stdout.write(JSON.stringify(s) + '\n');
          lastShape = shape;
        } else if (tty) {
          const lines = renderTree(s, process.stdout.columns ?? 80, Math.max(1, (process.stdout.rows ?? 24) - 1));
          process.stdout.write(`${drawn > 0 ? `\x1b[${drawn}F` : ''}${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`);
          drawn = lines.length;
        } else if (!values.http) process.stdout.write(renderTree(s, 100, Infinity).join('\n') + '\n\n');
      };
      const iv = setInterval(draw, 200);
      await new Promise<void>((ok) => {
        process.once('SIGINT', ok);
        process.once('SIGTERM', ok);
      });
      clearInterval(iv);
      await page?.close();
      return 0;
    } finally {
      watcher.stop();
    }
  },
};

/**
 * --once: every board answers the first broadcast query within a few milliseconds;
 * a second one, 150 ms later, gives each board's rate. Done once both rounds are in
 * and nothing new came for QUIET_MS, or at `wait` at the latest.
 */
async function settle(wait: number, askAgain: () => void, lastHeard: () => number): Promise<void> {
  const QUIET_MS = 100;
  const AGAIN_MS = 150;
  const start = performance.now();
  const tick = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
  await tick(Math.min(AGAIN_MS, wait));
  if (wait <= AGAIN_MS) return;
  askAgain();
  const asked = performance.now();
  for (;;) {
    await tick(25);
    const now = performance.now();
    if (now - start >= wait) return;
    if (lastHeard() > asked && now - lastHeard() >= QUIET_MS) return;
  }
}

/** `ADDR:PORT`, `ADDR` (port 8080) or `:PORT` (all addresses); port 0 takes a free one from the kernel. */
function httpAddress(text: string): { host: string; port: number } {
  const m = /^([^:]*)(?::(\d+))?$/.exec(text);
  const port = m?.[2] === undefined ? 8080 : Number(m[2]);
  if (!m || port > 65535) throw new UsageError(`--http must be ADDR:PORT (port 0..65535), got "${text}"`);
  return { host: m[1] || '0.0.0.0', port };
}
