// The DLoad scenarios (scenarios.ts) on real PeerNodes over loopback, with the fast
// election (the default); sockets-phone.test.ts runs them with the phone's.
import { test } from 'uvu';
import { testScenarios } from './scenarios';
import { socketsShell } from './shells/sockets';

testScenarios('sockets (fast)', socketsShell('fast'));

test.run();
