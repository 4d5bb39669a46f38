// The DLoad scenarios (scenarios.ts) on the simulator, with each election.
import { test } from 'uvu';
import { ELECTIONS } from '../../src/dload/types';
import { testScenarios } from './scenarios';
import { simShell } from './shells/sim';

for (const election of ELECTIONS) testScenarios(`sim (${election})`, simShell(1, election));

test.run();
