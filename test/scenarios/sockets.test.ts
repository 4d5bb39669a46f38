// The DLoad scenarios (scenarios.ts) on real PeerNodes over loopback.
import { test } from 'uvu';
import { scenarios } from './scenarios';
import { socketsShell } from './shells/sockets';

const shell = socketsShell();
for (const sc of scenarios) {
  test(`sockets: ${sc.name}`, async () => {
    const site = await shell.open(sc.spec);
    try {
      await sc.run(site);
    } finally {
      await site.close();
    }
  });
}

test.run();
