// The scenario suite has teeth: against a shell that leaves a fault out or sends the
// file over the WAN twice, the scenarios that depend on it fail. (The simulator is
// quick and the same every run, so these never flake.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scenarios, type Scenario } from './scenarios';
import { simShell } from './shells/sim';
import type { Shell, Site, SiteSpec } from './shell';

/** A shell that opens sites from `change(spec)` and may doctor the site. */
function broken(change: (s: SiteSpec) => SiteSpec, doctor: (site: Site) => Site = (s) => s): Shell {
  const sim = simShell();
  return { name: 'sim', open: async (spec) => doctor(await sim.open(change(spec))) };
}

async function fails(shell: Shell, sc: Scenario): Promise<boolean> {
  const site = await shell.open(sc.spec);
  try {
    await sc.run(site);
    return false;
  } catch {
    return true;
  } finally {
    await site.close();
  }
}

const named = (part: string) => scenarios.find((s) => s.name.includes(part))!;

test('a shell whose parents do not corrupt what they serve fails "corrupt parent"', async () => {
  assert.ok(await fails(broken((s) => ({ ...s, corruptServed: [] })), named('corrupt parent')));
});

test('a shell whose origin serves good bytes fails "origin serving a file that fails its hashes"', async () => {
  assert.ok(await fails(broken((s) => ({ ...s, originCorrupt: false })), named('fails its hashes')));
});

test('a shell that sends every file over the WAN twice fails every scenario that counts WAN copies', async () => {
  const twice = broken((s) => s, (site) => Object.assign(Object.create(site) as Site, { wanBytes: (m: number) => 2 * site.wanBytes(m) }));
  for (const part of ['parent killed', 'root killed', 'corrupt parent', 'child refused', 'two models', 'late joiner', 'resume after']) {
    assert.ok(await fails(twice, named(part)), part);
  }
});

test('the untouched simulator passes them all (the failures above are the faults\' doing)', async () => {
  for (const sc of scenarios) assert.not.ok(await fails(simShell(), sc), sc.name);
});

test.run();
