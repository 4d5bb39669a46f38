// The DLoad scenarios (scenarios.ts) on the simulator.
import { test } from 'uvu';
import { scenarios } from './scenarios';
import { simShell } from './shells/sim';

const shell = simShell();
for (const sc of scenarios) {
  test(`sim: ${sc.name}`, async () => {
    const site = await shell.open(sc.spec);
    try {
      await sc.run(site);
    } finally {
      await site.close();
    }
  });
}

test.run();
