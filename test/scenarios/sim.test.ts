// The DLoad scenarios (scenarios.ts) on the simulator, with each election.
import { test } from 'uvu';
import { ELECTIONS } from '../../src/dload/types';
import { scenarios } from './scenarios';
import { simShell } from './shells/sim';

for (const election of ELECTIONS) {
  const shell = simShell(1, election);
  for (const sc of scenarios) {
    test(`sim (${election}): ${sc.name}`, async () => {
      const site = await shell.open(sc.spec);
      try {
        await sc.run(site);
      } finally {
        await site.close();
      }
    });
  }
}

test.run();
