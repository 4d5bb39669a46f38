// README's "step by step" runs as written (issue 14): its shell lines are taken from
// README.md itself, so the two cannot drift, and run one by one in one bash, from an
// empty folder (HOME is a fresh folder: the walkthrough works in ~/pfs-try), for two
// phone models. A line's status must be 0, or what its "# exit status N" comment says.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { until } from '../helpers/net';

const SECTION = '## Preparing an origin and booting a board, step by step';

/** The shell lines of the README's walkthrough, with the status each must end with. */
function walkthroughLines(readme: string): { line: string; status: number }[] {
  const at = readme.indexOf(SECTION);
  if (at < 0) throw new Error(`README.md has no "${SECTION}"`);
  const end = readme.indexOf('\n## ', at + SECTION.length);
  const section = readme.slice(at, end < 0 ? undefined : end);
  const out: { line: string; status: number }[] = [];
  for (const m of section.matchAll(/^( *)```sh\n([\s\S]*?)^ *```$/gm)) {
    for (const raw of m[2]!.split('\n')) {
      const line = raw.slice(m[1]!.length).trimEnd();
      if (line === '' || line.startsWith('#')) continue;
      const expect = /#\s*exit status (\d+)\s*$/.exec(line);
      out.push({ line, status: expect ? Number(expect[1]) : 0 });
    }
  }
  return out;
}

test('the README walkthrough\'s lines are found: keygen, pack for two models, the origin, boot', () => {
  const lines = walkthroughLines(readFileSync('README.md', 'utf8')).map((l) => l.line);
  for (const want of [/^pfs keygen /, /^pfs pack .*--model CP-7961G/, /^pfs pack .*--model CP-7941G/, /^pfs tftp serve /, /mac=/, /^pfs boot .*board1/, /^pfs boot .*board2/]) {
    assert.ok(lines.some((l) => want.test(l)), `${want} in ${lines.join('\n')}`);
  }
});

test('the README walkthrough runs as written, line by line, from an empty folder: two models, both boards commit their new load', async () => {
  const home = mkdtempSync(join(tmpdir(), 'pfs-readme-'));
  const steps = walkthroughLines(readFileSync('README.md', 'utf8'));
  // Its own process group: the origin it leaves in the background goes with it.
  const sh = spawn('bash', ['--noprofile', '--norc'], { cwd: resolve('.'), env: { ...process.env, HOME: home }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  sh.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  sh.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  try {
    sh.stdin!.write('shopt -s expand_aliases\n');
    for (const [k, { line, status }] of steps.entries()) {
      const marker = `@@walkthrough ${k} status `;
      sh.stdin!.write(`${line}\necho "${marker}$?"\n`);
      await until(() => stdout.includes(marker), { timeoutMs: 60_000, what: `README line "${line}" to finish` });
      const got = Number(new RegExp(`${marker}(\\d+)`).exec(stdout)?.[1]);
      assert.is(got, status, `README line "${line}" ended with ${got}, not ${status}:\n${stderr.split('\n').filter((l) => !/^(INF|DBG|NOT) /.test(l)).slice(-15).join('\n')}`);
    }
    const dir = join(home, 'pfs-try');
    assert.match(stderr, /committed load SCCP41\.9-4-2SR2-2S-7961G/);
    assert.match(stderr, /committed load SCCP41\.9-4-2SR2-2S-7941G/);
    for (const b of ['board1', 'board2']) assert.ok(existsSync(join(dir, b, 'screen.png')), `${b}/screen.png`);
  } finally {
    try {
      process.kill(-sh.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
