// One honest board as a process of its own, for the attacks that need one (a parent
// frozen with SIGSTOP): `pfs boot` (bootBoard, the `sim` board file) on its root
// folder, saying on standard output "started" once its peer engine runs, "committed"
// the moment its new load is committed, and at the end "outcome: committed LOAD" or
// "failed: …". Started by bench/adversary-frozen.ts with a JSON argument.
import { bootBoard, EXIT } from '../src/boot/boot';
import { createLogger } from '../src/log/logger';
import { BOARDS_DIR } from './adversary-site';

const a = JSON.parse(process.argv[2]!) as { root: string; upgradeTimeoutMs: number; lingerMs: number };
const say = (line: string) => process.stdout.write(`${line}\n`);
const lines: string[] = [];
try {
  const r = await bootBoard({
    board: 'sim',
    boardsDir: BOARDS_DIR,
    root: a.root,
    tftp: { blksize: 1468, windowsize: 32 },
    log: createLogger('PFS', { level: 'ERR', sinks: [{ writeLine: (l) => void lines.push(l) }] }),
    configTries: 5,
    upgradeTimeoutMs: a.upgradeTimeoutMs,
    // Stay a parent a while for those still taking the load from this board.
    lingerMs: a.lingerMs,
    display: false,
    leds: false,
    onPeers: () => say('started'),
    onCommitted: () => say('committed'),
  });
  if (r.exit === EXIT.REBOOT && r.outcome?.kind === 'committed') say(`outcome: committed ${r.outcome.load}`);
  else say(`failed: pfs boot ended with exit ${r.exit} (${r.outcome?.kind === 'failed' ? r.outcome.reason : (r.outcome?.kind ?? lines.at(-1) ?? 'no outcome')})`);
} catch (e) {
  say(`failed: ${(e as Error).message}`);
}
