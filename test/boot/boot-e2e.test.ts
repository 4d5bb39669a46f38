import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log/logger';
import { TftpServer } from '../../src/net/tftp/server';
import { WanEmulator } from '../../src/net/wan';
import { loadModels, type BoardProfile } from '../../src/profiles';
import { bootBoard, EXIT } from '../../src/boot/boot';
import { prepareSite } from '../../src/lab/site';
import { DirFlash } from '../../src/hal/flash/dir';
import { createFlashImages, openFlash } from '../../src/hal/flash/open';
import { PNG } from 'pngjs';
import pixelmatch from 'pixelmatch';
import { render } from '../../src/hal/display';
import type { ShareRole, UpgradeView } from '../../src/hal/view';
import { freePortRange } from '../helpers/net';

/**
 * Whether the board's screen.png shows a finished upgrade: the model's geometry,
 * every component done, each with one of the roles a PFS board can have.
 */
async function showsComplete(root: string, model: { model: string; screen: { width: number; height: number; depth: number; color: boolean } }, load: string, files: { name: string; size: number }[]): Promise<string | undefined> {
  const png = PNG.sync.read(await readFile(join(root, 'screen.png')));
  if (png.width !== model.screen.width || png.height !== model.screen.height) return `screen is ${png.width}x${png.height}`;
  const roles: ShareRole[] = ['root', 'parent', 'child'];
  let best = Infinity;
  for (let k = 0; k < roles.length ** files.length; k++) {
    const view: UpgradeView = {
      model: model.model, running: 'SCCP41.9-3-1SR1-1S', target: load, phase: 'done', pfs: true,
      components: files.map((f, i) => ({ name: f.name, size: f.size, bytes: f.size, state: 'done', role: roles[Math.floor(k / roles.length ** i) % roles.length]!, children: 0 })),
    };
    best = Math.min(best, pixelmatch(png.data, render(view, model.screen).toRgba(), undefined, png.width, png.height, { threshold: 0.1 }));
  }
  return best === 0 ? undefined : `${best} pixels differ from every finished upgrade screen`;
}

/** A site on loopback: origin behind a WAN, boards prepared as the lab prepares them. */
async function site(o: { models: [string, number][]; pfsOff?: number; size?: number; enterprisePfs?: boolean }) {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-boot-'));
  const models = await loadModels('boards');
  let wanPort = 0;
  // The broadcast port, then one peer port per board, free when asked.
  const base = (await freePortRange(o.models.reduce((n, [, count]) => n + count, 0) + 1)) + 1;
  const s = await prepareSite(dir, {
    models: o.models.map(([m, count]) => ({ profile: models.get(m)!, count })),
    size: o.size ?? 1 << 20,
    files: 2,
    enterprisePfs: o.enterprisePfs ?? true,
    pfsOff: o.pfsOff ?? 0,
    server: () => ({ host: '127.0.0.1', port: wanPort }),
    boardConfig: (i) => ({ addr: '127.0.0.1', peer_port: String(base + i), broadcast: `127.255.255.255:${base - 1}` }),
  });
  const server = new TftpServer({ root: s.originDir, port: 0, pipeline: 2, maxWindowsize: 128 });
  await server.start();
  const wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), rate: 40e6, rttMs: 10 });
  await wan.start();
  wanPort = wan.address().port;
  // pfs.txt was written before the WAN had a port: the server comes from --server instead.
  const logs = new Map<number, string[]>();
  const boot = (i: number, extra: Partial<Parameters<typeof bootBoard>[0]> = {}) => {
    const lines: string[] = [];
    logs.set(i, lines);
    return bootBoard({
      board: 'sim',
      boardsDir: 'boards',
      root: s.boards[i]!.root,
      server: `127.0.0.1:${wanPort}`,
      log: createLogger('PFS', { level: 'DBG', sinks: [{ writeLine: (l) => lines.push(l) }] }),
      configTries: 2,
      upgradeTimeoutMs: 30_000,
      lingerMs: 10_000,
      ...extra,
    });
  };
  const close = async () => {
    await wan.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, s, server, boot, logs, close };
}

async function activeFiles(root: string) {
  const f = new DirFlash(join(root, 'flash'));
  await f.open();
  return f.activeLoad();
}

test('a mixed fleet (4 x CP-7961G, 2 x CP-7941G) upgrades by peer sharing: one copy per model crosses the WAN', async () => {
  const t = await site({ models: [['CP-7961G', 4], ['CP-7941G', 2]] });
  try {
    const results = await Promise.all(t.s.boards.map((_, i) => t.boot(i)));
    assert.equal(results.map((r) => r.exit), t.s.boards.map(() => EXIT.REBOOT), [...t.logs.values()].map((l) => l.filter((x) => x.startsWith('ERR')).join('\n')).join('\n'));
    for (const b of t.s.boards) {
      assert.is(await activeFiles(b.root), t.s.loads.get(b.model));
      const slot = JSON.parse(await readFile(join(b.root, 'flash', 'state.json'), 'utf8')).active;
      for (const name of t.s.componentNames) {
        assert.ok((await readFile(join(b.root, 'flash', `slot${slot}`, name))).equals(await readFile(join(t.s.originDir, name))), `${b.mac} ${name}`);
      }
    }
    for (const name of t.s.componentNames) {
      const size = (await readFile(join(t.s.originDir, name))).length;
      assert.is(t.server.stats.bytesByFile.get(name), 2 * size, `${name}: one copy per model`);
    }
    const models = await loadModels('boards');
    for (const [i, b] of t.s.boards.entries()) {
      const files = await Promise.all(t.s.componentNames.map(async (name) => ({ name, size: (await readFile(join(t.s.originDir, name))).length })));
      const wrong = await showsComplete(b.root, models.get(b.model)!, t.s.loads.get(b.model)!, files);
      assert.not.ok(wrong, `${b.mac}: ${wrong}`);
      // The sim board's terminal LEDs: one line per change, from idle through the download to done.
      const leds = t.logs.get(i)!.flatMap((l) => /LED \S+: (\w+)/.exec(l)?.[1] ?? []);
      assert.is(leds[0], 'idle', leds.join(' '));
      assert.ok(leds.includes('downloading'), leds.join(' '));
      assert.is(leds.at(-1), 'done', leds.join(' '));
      for (let k = 1; k < leds.length; k++) assert.is.not(leds[k], leds[k - 1], 'a line per change, not per blink');
    }
    const roots = [...t.logs.values()].flat().filter((l) => l.includes('@@@HROOT:'));
    assert.ok(roots.some((l) => l.includes('m=CP-7941G')) && roots.some((l) => l.includes('m=CP-7961G')), 'each model had its own roots');
  } finally {
    await t.close();
  }
});

test('boards whose device setting turns PFS off go straight to TFTP while the enterprise enables it', async () => {
  const t = await site({ models: [['CP-7961G', 4]], pfsOff: 1 });
  try {
    const results = await Promise.all(t.s.boards.map((_, i) => t.boot(i)));
    assert.equal(results.map((r) => r.exit), [EXIT.REBOOT, EXIT.REBOOT, EXIT.REBOOT, EXIT.REBOOT]);
    const off = t.logs.get(0)!;
    assert.ok(off.some((l) => l.includes('Peer Firmware Sharing disabled (device setting): plain TFTP upgrade')), off.join('\n'));
    assert.not.ok(off.some((l) => l.includes('ClaimRoot')), 'the PFS-off board never advertised');
    assert.ok(t.logs.get(1)!.some((l) => l.includes('Peer Firmware Sharing enabled (enterprise setting)')));
    for (const name of t.s.componentNames) {
      const size = (await readFile(join(t.s.originDir, name))).length;
      assert.is(t.server.stats.bytesByFile.get(name), 2 * size, `${name}: the peers' copy plus the PFS-off board's own`);
    }
  } finally {
    await t.close();
  }
});

test('a tampered component on the origin is refused by every board and nothing is committed', async () => {
  const t = await site({ models: [['CP-7961G', 3]] });
  try {
    const victim = join(t.s.originDir, t.s.componentNames[1]!);
    const bytes = await readFile(victim);
    bytes[bytes.length >> 1]! ^= 0x55;
    await writeFile(victim, bytes);
    const results = await Promise.all(t.s.boards.map((_, i) => t.boot(i, { upgradeTimeoutMs: 12_000 })));
    assert.equal(results.map((r) => r.exit), [EXIT.FAILED, EXIT.FAILED, EXIT.FAILED]);
    for (const b of t.s.boards) assert.match(String(await activeFiles(b.root)), /^SCCP41\.9-3-1SR1-1S$/);
    assert.ok([...t.logs.values()].flat().some((l) => /does not match its SHA-256/.test(l)));
  } finally {
    await t.close();
  }
});

test('a tampered manifest is rejected with a clear line and nothing is written to flash', async () => {
  const t = await site({ models: [['CP-7961G', 1]] });
  try {
    const load = t.s.loads.get('CP-7961G')!;
    const m = await readFile(join(t.s.originDir, `${load}.loads`), 'utf8');
    await writeFile(join(t.s.originDir, `${load}.loads`), m.replace('"size": ', '"size": 1'));
    // Without the digest in the config the board fetches the manifest itself and checks the signature.
    const xml = await readFile(join(t.s.originDir, 'XMLDefault.cnf.xml'), 'utf8');
    await writeFile(join(t.s.originDir, 'XMLDefault.cnf.xml'), xml.replace(/\s*<pfsLoad[^>]*>[^<]*<\/pfsLoad>/g, ''));
    const r = await t.boot(0);
    assert.is(r.exit, EXIT.FAILED);
    const lines = t.logs.get(0)!;
    assert.ok(lines.some((l) => /ERR .*signature .* does not match: the manifest was changed after signing/.test(l)), lines.join('\n'));
    const f = new DirFlash(join(t.s.boards[0]!.root, 'flash'));
    await f.open();
    assert.is(await f.activeLoad(), 'SCCP41.9-3-1SR1-1S');
  } finally {
    await t.close();
  }
});

test('bad model selection and a missing configuration give the specified errors', async () => {
  const t = await site({ models: [['CP-7961G', 1]] });
  try {
    const r = await t.boot(0, { model: 'CP-7999G' });
    assert.is(r.exit, EXIT.NO_MODEL);
    assert.ok(t.logs.get(0)!.some((l) => /^ERR .* unknown model "CP-7999G" \(from --model\): valid models: CP-7906G, /.test(l)));
    await rm(join(t.s.originDir, 'XMLDefault.cnf.xml'));
    const r2 = await t.boot(0);
    assert.is(r2.exit, EXIT.FAILED);
    const lines = t.logs.get(0)!;
    assert.ok(lines.some((l) => /LED \S+: error/.test(l)), 'the LED says error');
    assert.ok(lines.some((l) => /^ERR .* configuration: .*XMLDefault\.cnf\.xml.*retrying in 1\.0 s, staying on the current load/.test(l)), lines.join('\n'));
  } finally {
    await t.close();
  }
});

test('boards on raw NAND (mtd, emulated on files) and on block partitions upgrade from blank through their peers', async () => {
  const t = await site({ models: [['CP-7961G', 3]] });
  const boards = join(t.dir, 'boards');
  try {
    // Two board files like sim, but with the slots on partitions instead of a folder.
    await cp('boards', boards, { recursive: true });
    const sim = JSON.parse(await readFile('boards/sim.json', 'utf8'));
    const flashOf: Record<'sim-mtd' | 'sim-block', BoardProfile['flash']> = {
      'sim-mtd': { backend: 'mtd', path: 'flash/pointer.mtd', slots: ['flash/a.mtd', 'flash/b.mtd'] },
      'sim-block': { backend: 'block', path: 'flash/pointer.img', slots: ['flash/a.img', 'flash/b.img'] },
    };
    for (const [name, flash] of Object.entries(flashOf)) await writeFile(join(boards, `${name}.json`), JSON.stringify({ ...sim, board: name, flash }));
    const kinds = ['sim-mtd', 'sim-mtd', 'sim-block'] as const;
    for (const [i, b] of t.s.boards.entries()) {
      await rm(join(b.root, 'flash'), { recursive: true, force: true });
      await createFlashImages(flashOf[kinds[i]!], { root: b.root, boardName: kinds[i]!, slotBytes: 4 << 20 });
    }
    const results = await Promise.all(t.s.boards.map((_, i) => t.boot(i, { board: kinds[i], boardsDir: boards })));
    assert.equal(results.map((r) => r.exit), [EXIT.REBOOT, EXIT.REBOOT, EXIT.REBOOT], [...t.logs.values()].flat().filter((l) => l.startsWith('ERR')).join('\n'));
    assert.ok(t.logs.get(0)!.some((l) => l.includes('running no load (blank board)')));
    for (const [i, b] of t.s.boards.entries()) {
      const flash = openFlash(flashOf[kinds[i]!], { root: b.root, boardName: kinds[i]! });
      await flash.open();
      await flash.boot();
      assert.is(await flash.activeLoad(), t.s.loads.get('CP-7961G'), kinds[i]);
      for (const name of t.s.componentNames) {
        const want = await readFile(join(t.s.originDir, name));
        const r = (await flash.readActive(name))!;
        const got = Buffer.alloc(want.length);
        let at = 0;
        while (at < got.length) {
          const n = await r.read(got, at, got.length - at, at);
          if (n === 0) break;
          at += n;
        }
        await r.close();
        assert.ok(r.size === want.length && got.equals(want), `${kinds[i]} board ${i}: ${name} on flash is the origin's file`);
      }
      await flash.close?.();
    }
  } finally {
    await t.close();
  }
});

test.run();
