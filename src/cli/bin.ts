import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`pfs: internal error: ${(e as Error)?.stack ?? e}\n`);
    process.exitCode = 70;
  },
);
