// The mistakes a new user made (issue 14), each now one line that says what to do,
// and exit 2 (usage) or a documented code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const bundle = resolve('dist/pfs.cjs');

function pfs(args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bundle, ...args], { encoding: 'utf8', cwd, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

test('regression: lab --bords 4 is one line with the nearest valid option and exit 2, not Node\'s message and the usage', () => {
  const r = pfs(['lab', '--bords', '4']);
  assert.is(r.status, 2);
  assert.equal(lines(r.stderr), ['pfs lab: unknown option --bords; did you mean --boards?']);
});

test('regression: lab --boards -3 says the range, not "argument is ambiguous"', () => {
  const r = pfs(['lab', '--boards', '-3']);
  assert.is(r.status, 2);
  assert.equal(lines(r.stderr), ['pfs lab: --boards must be a whole number from 1 to 4096, got "-3"']);
});

test('an unknown model for the lab is one line and exit 2, before anything starts', () => {
  const r = pfs(['lab', '--models', 'CP-0000:16']);
  assert.is(r.status, 2);
  assert.equal(lines(r.stderr).map((l) => l.replace(/ \(models: .*\)$/, '')), ['pfs lab: --models: no such phone model CP-0000']);
});

test('every command takes its options through the one parser: an unknown one is one line and exit 2', () => {
  const help = pfs(['--help']).stdout;
  const listed = [...help.matchAll(/^ {2}(\S+(?: (?!\s)\S+)?) {2,}/gm)].map((m) => m[1]!).filter((c) => !c.startsWith('-'));
  assert.ok(listed.includes('lab') && listed.includes('tftp get'), help);
  for (const cmd of listed) {
    const r = pfs([...cmd.split(' '), '--no-such-option-here']);
    assert.is(r.status, 2, `${cmd}: ${r.stderr}`);
    assert.equal(lines(r.stderr), [`pfs ${cmd}: unknown option --no-such-option-here; --help lists the options`], cmd);
  }
});

test('a mistyped command names the nearest one; missing arguments give the usage line', () => {
  assert.equal(lines(pfs(['lba']).stderr), ['pfs: unknown command "lba"; did you mean "pfs lab"?']);
  assert.equal(lines(pfs(['tftp', 'gett']).stderr), ['pfs: unknown command "pfs tftp gett"; did you mean "pfs tftp get"?']);
  const r = pfs(['keygen']);
  assert.is(r.status, 2);
  assert.equal(lines(r.stderr), ['pfs keygen: missing arguments; usage: pfs keygen OUT']);
});

test('regression: tftp get with nobody answering fails in about 3 s (it took 31 s), and writes nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-noanswer-'));
  try {
    const r = pfs(['tftp', 'get', '127.0.0.1:1', 'x'], dir);
    assert.is(r.status, 1, r.stderr);
    assert.ok(r.ms < 6000, `took ${Math.round(r.ms)} ms`);
    assert.match(r.stderr, /no answer within 3 s \(--answer-within\) code=PFS_ERR_TFTP_TIMEOUT/);
    assert.equal(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('regression: boot with no server says so and where to set it (it said "" is not HOST[:PORT])', () => {
  const root = mkdtempSync(join(tmpdir(), 'pfs-noserver-'));
  try {
    mkdirSync(join(root, 'boot'));
    writeFileSync(join(root, 'boot', 'pfs.txt'), 'model=CP-7961G\nmac=001BD5112233\n');
    const r = pfs(['boot', '--board', 'sim', '--root', root]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`no TFTP server: give --server HOST\\[:PORT\\], or tftp=HOST\\[:PORT\\] in ${join(root, 'boot', 'pfs.txt')} code=PFS_ERR_CONFIG`));
    assert.not.match(r.stderr, /is not HOST/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('regression: boot --root that does not exist says so (it said "no phone model selected")', () => {
  const r = pfs(['boot', '--board', 'sim', '--root', '/nonexistent-pfs-root']);
  assert.is(r.status, 2);
  assert.equal(lines(r.stderr), ["pfs boot: --root /nonexistent-pfs-root: no such folder (the board's root: boot/pfs.txt, trust/ and flash/ are under it)"]);
});

test.run();
