// WantedFile.componentsHint: the component names the configuration's <pfsLoad files="…">
// gives. A board that takes the manifest from the origin ahead asks for those
// components with it (their transfers opened, no data), so a component it then takes
// from the origin starts on that transfer: one request round trip fewer before its
// first byte, and the origin still sends each file once. Once the board is the
// manifest's confirmed root, the components are its to take (Inherited root): their
// first windows come alongside the manifest's data and wait, unacknowledged, until
// it verifies (TftpDownload.prime): one round trip more off the first component byte.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateFirmware } from '../../../src/lab/firmware';
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

test.run();
