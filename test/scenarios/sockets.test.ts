// The DLoad scenarios (scenarios.ts) on real PeerNodes over loopback, with the fast
// election (the default); sockets-phone.test.ts runs them with the phone's.
import { test } from 'uvu';
import { scenarios } from './scenarios';
import { socketsShell } from './shells/sockets';

const shell = socketsShell('fast');
for (const sc of scenarios) {
  test(`sockets (fast): ${sc.name}`, async () => {
    const site = await shell.open(sc.spec);
    try {
      await sc.run(site);
    } finally {
      await site.close();
    }
  });
}

test.run();
