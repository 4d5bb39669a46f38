// A component inherits its manifest's root through real sockets (WantedFile.inheritRootOf):
// the manifest's claimant that has the manifest before it is confirmed (taken ahead;
// on loopback always) waits for its election to settle, then takes the component
// without claiming it; a later board joins it for both. The origin sends each once.
// A board that confirmed itself by mistake takes no component before its data hold ends.
import dgram from 'node:dgram';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hierarchyKey } from '../../../src/dload/key';
import { encode } from '../../../src/dload/wire';
import { generateFirmware } from '../../../src/lab/firmware';
import { until, within } from '../../helpers/net';
import { site } from './site';

const MANIFEST = 10_244;
const COMPONENT = 256 << 10;

test('the manifest\'s claimant takes the component without a claim once confirmed; a later board follows it for both; one origin copy each', async () => {
  const s = await site(MANIFEST);
  try {
    const [c] = await generateFirmware(join(s.root, 'origin'), { files: 1, totalBytes: COMPONENT, blockSize: 64 * 1024, load: 'U', seed: 'inherit' });
    const component = { name: c!.name, plan: c!.plan };
    const a = await s.board(1);
    let started!: Promise<void>;
    let aheadRole = '';
    const manifestA = a.node.fetch({
      name: s.file.name,
      plan: s.file.plan,
      // As upgrade.ts does: the components start as soon as the manifest is in hand.
      early: () => {
        aheadRole = a.node.status().find((f) => f.name === s.file.name)!.role;
        started = a.node.fetch({ ...component, inheritRootOf: s.file.name });
      },
    });
    await within(10_000, 'board 1: the manifest', manifestA);
    await until(() => started !== undefined, { timeoutMs: 5000, what: 'the component to start' });
    assert.is(aheadRole, 'claiming', 'the manifest came ahead of the confirmation');
    await within(10_000, 'board 1: the component', started);
    const compA = a.node.status().find((f) => f.name === component.name)!;
    assert.is(compA.role, 'root');
    assert.is(compA.claims, 0, 'no claim for the component');
    assert.ok(a.lines.some((l) => l.includes(`root of ${s.file.name}: root of`)), a.lines.join('\n'));
    // Regression: the component took the origin during the manifest's data hold (0.95 s for
    // this board), which exists so that a board confirmed by mistake pulls nothing.
    const takes = (file: string) => Number(/ms=(\d+)/.exec(a.lines.find((l) => l.includes('timing: root takes data') && l.includes(`file=${file}`)) ?? '')?.[1] ?? NaN);
    assert.ok(takes(component.name) >= takes(s.file.name), `the component's root took data at ${takes(component.name)} ms, its manifest's at ${takes(s.file.name)} ms`);

    const b = await s.board(2);
    await within(10_000, 'board 2: the manifest', b.node.fetch({ name: s.file.name, plan: s.file.plan }));
    await within(10_000, 'board 2: the component', b.node.fetch({ ...component, inheritRootOf: s.file.name }));
    const compB = b.node.status().find((f) => f.name === component.name)!;
    assert.is(compB.role, 'member');
    assert.is(compB.claims, 0);
    assert.is(compB.rootId, 0x1000 + 1, 'board 2 followed board 1');
    assert.is(s.server.stats.bytesByFile.get(component.name), COMPONENT, 'the component crossed once');
    assert.is(s.server.stats.bytesByFile.get(s.file.name), MANIFEST, 'the manifest crossed once');
  } finally {
    await s.close();
  }
});

test('a board confirmed by mistake that hears the real root during its data hold yields, and its component pulls nothing from the origin', async () => {
  const s = await site(MANIFEST);
  const shout = dgram.createSocket('udp4');
  try {
    const [c] = await generateFirmware(join(s.root, 'origin'), { files: 1, totalBytes: COMPONENT, blockSize: 64 * 1024, load: 'W', seed: 'mistake' });
    const component = { name: c!.name, plan: c!.plan };
    // Board 1 alone: it claims, takes the manifest ahead and confirms; its hold is 0.95 s (its rank).
    const a = await s.board(1);
    let started: Promise<void> | undefined;
    void a.node.fetch({ name: s.file.name, plan: s.file.plan, early: () => void (started = a.node.fetch({ ...component, inheritRootOf: s.file.name }).catch(() => {})) }).catch(() => {});
    const role = () => a.node.status().find((f) => f.name === s.file.name)?.role;
    await until(() => role() === 'root', { timeoutMs: 5000, what: 'board 1 to confirm itself' });
    assert.ok(started, 'the manifest came ahead and the component waits on its root');
    // The real root, whose adverts board 1 missed, is heard within the hold: it holds the whole manifest.
    const key = hierarchyKey('CP-7961G', s.file.name);
    const advert = encode({ type: 'ConfirmedRoot', key, sender: 0x7777, strength: 1, held: MANIFEST, tcpPort: 9, ad: 0, map: 0xffffffff });
    await new Promise<void>((ok) => shout.bind(0, '127.0.0.1', ok));
    shout.setBroadcast(true);
    await new Promise<void>((ok, ko) => shout.send(advert, s.broadcastPort, '127.255.255.255', (e) => (e ? ko(e) : ok())));
    await until(() => role() === 'member', { timeoutMs: 2000, what: 'board 1 to yield to the real root' });
    await sleep(1500); // past the hold it would have had
    assert.is(s.server.stats.bytesByFile.get(component.name) ?? 0, 0, 'no byte of the component from the origin');
    const comp = a.node.status().find((f) => f.name === component.name);
    assert.ok(!comp || comp.role !== 'root', `the component's role: ${comp?.role}`);
  } finally {
    shout.close();
    await s.close();
  }
});

test.run();
