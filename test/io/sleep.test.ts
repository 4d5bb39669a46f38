import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep } from '../../src/io/sleep';

const sleepModule = fileURLToPath(new URL('../../src/io/sleep.ts', import.meta.url));

test('sleep resolves no sooner than asked', async () => {
  const t0 = performance.now();
  await sleep(30);
  assert.ok(performance.now() - t0 >= 29, 'resolved early');
});

// In a child: whether a pending sleep holds the process up is about how it ends.
function childSays(code: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { sleep } from ${JSON.stringify(sleepModule)};\n${code}`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

test('a plain sleep holds the process until it ends; an unref one lets a finished process exit', () => {
  assert.is(childSays(`sleep(50).then(() => console.log('woke'));`), 'woke\n');
  assert.is(childSays(`sleep(60_000, { unref: true }).then(() => console.log('woke'));`), '');
});

test.run();
