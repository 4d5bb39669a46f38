// The DLoad scenarios (scenarios.ts) on real PeerNodes over loopback, with the phone's
// exact election (--election phone); sockets.test.ts runs them with the fast one.
import { test } from 'uvu';
import { scenarios } from './scenarios';
import { socketsShell } from './shells/sockets';

const shell = socketsShell('phone');
for (const sc of scenarios) {
  test(`sockets (phone): ${sc.name}`, async () => {
    const site = await shell.open(sc.spec);
    try {
      await sc.run(site);
    } finally {
      await site.close();
    }
  });
}

test.run();
