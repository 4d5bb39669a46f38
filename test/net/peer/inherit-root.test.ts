// A component inherits its manifest's root through real sockets (WantedFile.inheritRootOf):
// the manifest's claimant that has the manifest before it is confirmed (taken ahead;
// on loopback always) waits for its election to settle, then takes the component
// without claiming it; a later board joins it for both. The origin sends each once.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
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

test.run();
