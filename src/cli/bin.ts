import './board-heap-first';
import { mapBundleStacks } from './source-maps';
import { main } from './main';

// Before main runs: a stack trace from a board names the .ts file and line.
// In the bundle (CommonJS) __filename is pfs.cjs; run from the sources (ESM, tsx) there is none.
mapBundleStacks(typeof __filename === 'string' ? __filename : undefined);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`pfs: internal error: ${(e as Error)?.stack ?? e}\n`);
    process.exitCode = 70;
  },
);
