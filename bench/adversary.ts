// npm run adversary — each attack of issue 13 against honest boards on loopback, each
// running `pfs boot` (the `sim` board file) on a root folder and an address of its own
// against a site laid out as a CUCM TFTP server would have it (bench/adversary-site.ts):
// every honest board must commit the right load within the limit, its active slot
// hashing right, 0 bad bytes; prints the table with each attack's cost. As root the
// run goes into a network namespace of its own (unshare -n). npm test runs a short
// version (test/bench/adversary.test.ts). Figures: bench/RELIABILITY.md.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgs, numberArg } from './args';
import { adversary, ATTACKS as LAB_ATTACKS, ATTACK_TEXT as LAB_TEXT, type AdversaryResult } from './adversary-lab';
import { frozenRoot } from './adversary-frozen';

// The frozen root needs boards as processes of their own (SIGSTOP): bench/adversary-frozen.ts.
const ATTACKS = [...LAB_ATTACKS, 'frozen-root'] as const;
type Attack = (typeof ATTACKS)[number];
const ATTACK_TEXT: Record<Attack, string> = { ...LAB_TEXT, 'frozen-root': 'the root (boards are processes here) frozen with SIGSTOP, sockets open, until the others are done or 45 s; the table counts the others, and whether it finished after its thaw' };

// As root, the attacks run in a network namespace of their own: nothing reaches this
// machine's interfaces, and nothing else on its loopback is in the way.
if (process.getuid?.() === 0 && !process.env.PFS_ADVERSARY_NETNS && !process.argv.includes('--help') && !process.argv.includes('-h')) {
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, PFS_ADVERSARY_NETNS: '1' },
  });
  process.exit(r.status ?? 1);
}

const USAGE = `Usage: npm run adversary -- [--boards 8] [--size 2097152] [--wan-rate 4000000] [--runs 3] [--limit 90] [--attacks LIST]

  --boards N     honest boards (default 8)
  --size BYTES   the file (default 2 MiB)
  --wan-rate B   bits per second between the boards and the origin (default 4 Mbit/s: the download, and the attack, last a few seconds)
  --runs N       runs of each attack, seeds 1..N (default 3)
  --limit S      seconds an honest board may take under attack (default 90)
  --attacks LIST default: ${ATTACKS.join(',')}
  -h, --help     this text
`;

const o = benchArgs('adversary', USAGE, (args) => {
  const { values: v } = parseArgs({
    args, strict: true, allowPositionals: false,
    options: { boards: { type: 'string', default: '8' }, size: { type: 'string', default: String(2 << 20) }, 'wan-rate': { type: 'string', default: '4000000' }, runs: { type: 'string', default: '3' }, limit: { type: 'string', default: '90' }, attacks: { type: 'string', default: ATTACKS.join(',') } },
  });
  const attacks = v.attacks.split(',') as Attack[];
  for (const a of attacks) if (!ATTACKS.includes(a)) throw new Error(`--attacks: "${a}" is none of ${ATTACKS.join(', ')}`);
  return { boards: numberArg(v.boards, '--boards', { min: 2 }), size: numberArg(v.size, '--size', { min: 1 }), wanRate: numberArg(v['wan-rate'], '--wan-rate', { min: 1 }), runs: numberArg(v.runs, '--runs', { min: 1 }), limitS: numberArg(v.limit, '--limit', { min: 1 }), attacks };
});

let failed = false;
console.log(`adversary: ${o.boards} honest boards, a ${o.size}-byte file over a ${o.wanRate / 1e6} Mbit/s WAN, ${o.runs} runs per attack, limit ${o.limitS} s`);
console.log('| attack | runs | boards verified | bad files | fleet time, s (worst) | origin copies (worst) | attacker cost per run | |');
console.log('|---|---:|---:|---:|---:|---:|---|---|');
for (const attack of o.attacks) {
  let verified = 0;
  let bad = 0;
  let worst = 0;
  let copies = 0;
  let cost = { datagrams: 0, bytes: 0, connections: 0 };
  const errors: string[] = [];
  for (let seed = 1; seed <= o.runs; seed++) {
    const r: AdversaryResult = attack === 'frozen-root'
      ? await frozenRoot({ boards: o.boards, size: o.size, seed, limitS: o.limitS, wanRate: o.wanRate, freezeS: 45 }).then((f) => ({ ...f, errors: f.errors, verified: f.verified + (f.frozenDone ? 1 : 0), boards: o.boards }))
      : await adversary({ attack, boards: o.boards, size: o.size, seed, limitS: o.limitS, wanRate: o.wanRate });
    verified += r.verified;
    bad += r.badFiles;
    worst = Math.max(worst, r.fleetSeconds);
    copies = Math.max(copies, r.originCopies);
    cost = { datagrams: cost.datagrams + r.attacker.datagrams, bytes: cost.bytes + r.attacker.bytes, connections: cost.connections + r.attacker.connections };
    errors.push(...r.errors.map((e) => `seed ${seed}: ${e}`));
  }
  const ok = verified === o.runs * o.boards && bad === 0;
  failed ||= !ok;
  const per = (n: number) => Math.round(n / o.runs);
  console.log(`| ${attack} | ${o.runs} | ${verified} of ${o.runs * o.boards} | ${bad} | ${worst.toFixed(1)} | ${copies.toFixed(2)} | ${per(cost.datagrams)} datagrams (${per(cost.bytes)} B), ${per(cost.connections)} connections | ${ok ? 'ok' : 'FAILED'} |`);
  for (const e of errors.slice(0, 5)) console.log(`  ${e}`);
}
console.log('');
for (const a of o.attacks) console.log(`- ${a}: ${ATTACK_TEXT[a]}`);
process.exitCode = failed ? 1 : 0;
