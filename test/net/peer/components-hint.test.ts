// WantedFile.componentsHint: the component names the configuration's <pfsLoad files="…">
// gives. A board that takes the manifest from the origin ahead asks for those
// components with it (their transfers opened, no data), so a component it then takes
// from the origin starts on that transfer: one request round trip fewer before its
// first byte, and the origin still sends each file once. Once the board is the
// manifest's confirmed root, the components are its to take (Inherited root): their
// first windows come alongside the manifest's data and wait, unacknowledged, until
// it verifies (TftpDownload.prime): one round trip more off the first component byte.
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hierarchyKey, preference } from '../../../src/dload/key';
import { encode } from '../../../src/dload/wire';
import { generateFirmware } from '../../../src/lab/firmware';
import { createLogger } from '../../../src/log/logger';
import { WanEmulator } from '../../../src/net/wan';
import { until, within } from '../../helpers/net';
import { site } from './site';

const MANIFEST = 10_244;
const COMPONENT = 256 << 10;
const BLKSIZE = 1468;
const FIRST_WINDOW = 32 * BLKSIZE; // the origin's first window: 2 x min(windowsize, 16) blocks

test('the manifest\'s claimant asks for the hinted components with it and takes them on those transfers; a hinted file nobody takes costs at most its first window', async () => {
  const s = await site(MANIFEST);
  try {
    const [c] = await generateFirmware(join(s.root, 'origin'), { files: 1, totalBytes: COMPONENT, blockSize: 64 * 1024, load: 'H', seed: 'hint' });
    await writeFile(join(s.root, 'origin', 'ghost.sbn'), Buffer.alloc(200_000, 7));
    const component = { name: c!.name, plan: c!.plan };
    const a = await s.board(1);
    let requestsWhenManifestCame = -1;
    let started!: Promise<void>;
    const manifest = a.node.fetch({
      name: s.file.name,
      plan: s.file.plan,
      componentsHint: [component.name, 'ghost.sbn'],
      early: () => {
        requestsWhenManifestCame = s.server.stats.transfers;
        started = a.node.fetch({ ...component, inheritRootOf: s.file.name });
      },
    });
    await within(10_000, 'the manifest', manifest);
    await until(() => started !== undefined, { timeoutMs: 5000, what: 'the component to start' });
    await within(10_000, 'the component', started);
    assert.is(requestsWhenManifestCame, 3, 'the manifest, the component and the ghost were asked for before the manifest was in hand');
    assert.is(s.server.stats.transfers, 3, 'the component was taken on its transfer, not asked for again');
    assert.is(s.server.stats.bytesByFile.get(component.name), COMPONENT, 'the component crossed once');
    const ghost = s.server.stats.bytesByFile.get('ghost.sbn') ?? 0;
    assert.ok(ghost <= FIRST_WINDOW, `a name the manifest does not list costs at most one window: ${ghost} bytes`);
    await a.node.stop();
    await until(() => s.server.stats.active === 0, { timeoutMs: 5000, what: 'the ghost\'s transfer to end' });
  } finally {
    await s.close();
  }
});

test('the root told which components its verified manifest lists takes more of each ahead; a name not listed keeps its one window', async () => {
  const s = await site(MANIFEST);
  try {
    const [c] = await generateFirmware(join(s.root, 'origin'), { files: 1, totalBytes: COMPONENT, blockSize: 64 * 1024, load: 'H', seed: 'hint' });
    await writeFile(join(s.root, 'origin', 'ghost.sbn'), Buffer.alloc(200_000, 7));
    const component = { name: c!.name, plan: c!.plan };
    const a = await s.board(1, { timers: { dataHoldMs: 20 } });
    await within(10_000, 'the manifest', a.node.fetch({ name: s.file.name, plan: s.file.plan, componentsHint: [component.name, 'ghost.sbn'], early: () => {} }));
    const sent = (name: string) => s.server.stats.bytesByFile.get(name) ?? 0;
    await until(() => sent(component.name) === FIRST_WINDOW, { timeoutMs: 5000, what: 'the component\'s first window' });
    a.node.certain([component.name]);
    await until(() => sent(component.name) === 128 * BLKSIZE, { timeoutMs: 5000, what: '128 blocks of the component ahead' });
    await new Promise((ok) => setTimeout(ok, 400));
    assert.is(sent(component.name), 128 * BLKSIZE, 'no more than 128 blocks before the component starts');
    assert.ok(sent('ghost.sbn') <= FIRST_WINDOW, `a name the manifest does not list keeps one window: ${sent('ghost.sbn')} bytes`);
    await within(10_000, 'the component', a.node.fetch({ ...component, inheritRootOf: s.file.name }));
    assert.is(sent(component.name), COMPONENT, 'the component crossed once');
    await a.node.stop();
  } finally {
    await s.close();
  }
});

test('over a long WAN, the confirmed root\'s components are on their way before its manifest arrives, and cross once', async () => {
  const s = await site(MANIFEST);
  // Round trip longer than the claim (0.3 s): the root is confirmed before the
  // origin's answers to its requests come back.
  const wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: { address: '127.0.0.1', port: s.origin.port }, rate: Infinity, rttMs: 500 });
  await wan.start();
  try {
    const [c] = await generateFirmware(join(s.root, 'origin'), { files: 1, totalBytes: COMPONENT, blockSize: 64 * 1024, load: 'H', seed: 'hint' });
    const component = { name: c!.name, plan: c!.plan };
    // The fleet's preferred board: its data hold is a few ms (this board's own rank would hold it 0.95 s).
    const a = await s.board(1, { origin: { ...s.origin, port: wan.address().port }, timers: { dataHoldMs: 20 } });
    let sentWhenManifestCame = -1;
    let started: Promise<void> | undefined;
    // As upgrade.ts does: the components start once the manifest is in hand, ahead of
    // the election or (a root past its short hold before the data came) through it.
    const onManifest = () => {
      if (started) return;
      sentWhenManifestCame = s.server.stats.bytesByFile.get(component.name) ?? 0;
      started = a.node.fetch({ ...component, inheritRootOf: s.file.name });
    };
    const manifest = a.node.fetch({ name: s.file.name, plan: s.file.plan, componentsHint: [component.name], early: onManifest });
    await within(15_000, 'the manifest', manifest);
    onManifest();
    await until(() => started !== undefined, { timeoutMs: 5000, what: 'the component to start' });
    await within(15_000, 'the component', started!);
    assert.is(sentWhenManifestCame, FIRST_WINDOW, 'the origin had sent the component\'s first window, and no more, when the manifest arrived');
    assert.is(s.server.stats.bytesByFile.get(component.name), COMPONENT, 'the component crossed once');
    assert.is(s.server.stats.transfers, 2);
  } finally {
    await wan.stop();
    await s.close();
  }
});

/**
 * One board claims the manifest over a WAN of `rttMs`, with adverts `advertMs` apart and
 * a data hold of `holdMs` after its confirmation; `atConfirm` runs as its HROOT line for
 * the manifest is written. Returns what the origin had sent of the component then.
 */
async function claimOverWan(o: { rttMs: number; advertMs: number; holdMs: number; atConfirm?: (bport: number, manifest: string) => void; after?: number }): Promise<{ atConfirm: number; later: number }> {
  const s = await site(MANIFEST);
  const wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: { address: '127.0.0.1', port: s.origin.port }, rate: Infinity, rttMs: o.rttMs });
  await wan.start();
  try {
    const [c] = await generateFirmware(join(s.root, 'origin'), { files: 1, totalBytes: COMPONENT, blockSize: 64 * 1024, load: 'H', seed: 'hint' });
    const sent = () => s.server.stats.bytesByFile.get(c!.name) ?? 0;
    // The hold is dataHoldMs x (1 - preference): the timer that gives this board `holdMs`.
    const weak = 1 - preference(hierarchyKey('CP-7961G', s.file.name), 0x1001) / 2 ** 32;
    let atConfirm = -1;
    const logger = createLogger('BOARD', {
      level: 'DBG',
      sinks: [{ writeLine: (l) => {
        if (atConfirm < 0 && l.includes('@@@HROOT') && l.includes(s.file.name)) {
          atConfirm = sent();
          o.atConfirm?.(s.broadcastPort, s.file.name);
        }
      } }],
    });
    const a = await s.board(1, { logger, origin: { ...s.origin, port: wan.address().port }, timers: { claimBackoffMs: 0, advertMs: o.advertMs, dataHoldMs: o.holdMs / weak } });
    void a.node.fetch({ name: s.file.name, plan: s.file.plan, componentsHint: [c!.name], early: () => {} }).catch(() => {});
    await until(() => atConfirm >= 0, { timeoutMs: 10_000, what: 'the manifest\'s HROOT line' });
    await new Promise((ok) => setTimeout(ok, o.after ?? 0));
    return { atConfirm, later: sent() };
  } finally {
    await wan.stop();
    await s.close();
  }
}

test('the preferred claimant asks for the components\' first window in its last advert period when the origin is a longer round trip away: it is on its way before the confirmation', async () => {
  // Adverts 300 ms apart, a 400 ms round trip, a 20 ms hold: asked at Ad 2 (300 ms before
  // the confirmation), the window leaves the origin 200 ms later, 100 ms before it.
  // Asked at the confirmation (before this rule), nothing had left the origin then.
  const r = await claimOverWan({ rttMs: 400, advertMs: 300, holdMs: 20 });
  assert.is(r.atConfirm, FIRST_WINDOW, 'the first window had left the origin at the confirmation');
});

test('a root with a long data hold asks for no component window before its hold nears its end: one confirmed beside the real root costs nothing', async () => {
  // The same claim with a 1.5 s hold (a board of low preference, most likely confirmed by
  // mistake): the real root's advert comes 50 ms after its confirmation and it yields.
  // Before this rule it asked at its confirmation, and the window crossed the WAN for nothing.
  const fake = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((ok) => fake.bind(0, '127.0.0.1', ok));
  fake.setBroadcast(true);
  try {
    const r = await claimOverWan({
      rttMs: 400,
      advertMs: 300,
      holdMs: 1500,
      after: 1000,
      atConfirm: (bport, manifest) => {
        setTimeout(() => {
          // A stronger confirmed root of the same manifest (the one this board missed).
          const msg = encode({ type: 'ConfirmedRoot', key: hierarchyKey('CP-7961G', manifest), sender: 0x2000, strength: 0xffffffff, held: 0, tcpPort: 1, ad: 0, map: 0 });
          fake.send(msg, bport, '127.255.255.255');
        }, 50);
      },
    });
    assert.is(r.atConfirm, 0, 'nothing asked at the confirmation');
    assert.is(r.later, 0, 'the root it yielded to takes the component: no byte of it came to this board');
  } finally {
    fake.close();
  }
});

test('with the phone\'s election the manifest\'s root takes no component window ahead: each component elects its own root, which may be another board', async () => {
  // Regression: primed at the manifest's confirmation, a window per component crossed the
  // WAN for nothing when another board won that component (1.0124 copies per model in an
  // 8-board lab with --election phone).
  const s = await site(MANIFEST);
  try {
    const [c] = await generateFirmware(join(s.root, 'origin'), { files: 1, totalBytes: COMPONENT, blockSize: 64 * 1024, load: 'H', seed: 'hint' });
    const a = await s.board(1, { election: 'phone' });
    await within(10_000, 'the manifest', a.node.fetch({ name: s.file.name, plan: s.file.plan, componentsHint: [c!.name], early: () => {} }));
    a.node.certain([c!.name]);
    await new Promise((ok) => setTimeout(ok, 400));
    assert.is(s.server.stats.bytesByFile.get(c!.name) ?? 0, 0, 'a byte of the component came before its own election');
    await a.node.stop();
  } finally {
    await s.close();
  }
});

test.run();
