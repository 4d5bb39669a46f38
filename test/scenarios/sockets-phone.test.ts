// The DLoad scenarios (scenarios.ts) on real PeerNodes over loopback, with the phone's
// exact election (--election phone); sockets.test.ts runs them with the fast one.
import { test } from 'uvu';
import { testScenarios } from './scenarios';
import { socketsShell } from './shells/sockets';

testScenarios('sockets (phone)', socketsShell('phone'));

test.run();
