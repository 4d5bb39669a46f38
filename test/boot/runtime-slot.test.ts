// The launcher's handover (src/boot/runtime-slot.ts): the installed pfs counts the boot,
// then runs the runtime the active load carries; one that ends while its load is still
// on trial did not come up, and the boots it costs roll the load back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { existsSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../src/boot/boot';
import { extractRuntime, HANDOVER_ENV, inheritedHandover, reportUp, runRuntime } from '../../src/boot/runtime-slot';
import { memFlash } from '../../src/hal/flash/mem';
import { runtimeArchOfNode, runtimeComponent } from '../../src/loads/runtime';
import { trialBoard } from './trial-helpers';
import { until } from '../helpers/net';

const L1 = 'SCCP41.9-4-2SR2-2S';
const L2 = 'SCCP41.9-5-1';
const RUNTIME = runtimeComponent(runtimeArchOfNode()!);

test('extractRuntime gives the active load\'s runtime, executable (copied out of a slot that is no folder, in place in one that is); runRuntime passes the handover and the arguments and ends as it ends', async () => {
  const b = await trialBoard({ loads: [{ load: L1, files: { 'a.sbn': 'one' } }] });
  try {
    const f = memFlash();
    await f.open();
    await f.beginInstall(L2);
    const script = `#!/bin/sh\nprintf '%s\\n' "$${HANDOVER_ENV}" "$@" > "${join(b.dir, 'ran')}"\nexit 7\n`;
    const s = await f.openComponent(RUNTIME);
    await s.writev([Buffer.from(script)], 0);
    await s.close();
    await f.commit(L2, [{ name: RUNTIME, size: script.length }]);
    const path = await extractRuntime(f, RUNTIME, join(b.dir, 'run'));
    assert.is(await readFile(path, 'utf8'), script);
    assert.is((await stat(path)).mode & 0o777, 0o755);
    const exit = await runRuntime(path, ['boot', '--root', '/x'], { load: L2, slot: 'A', trial: true });
    assert.is(exit, 7);
    const [env, ...args] = (await readFile(join(b.dir, 'ran'), 'utf8')).trim().split('\n');
    assert.equal(inheritedHandover({ [HANDOVER_ENV]: env }), { load: L2, slot: 'A', trial: true });
    assert.equal(args, ['boot', '--root', '/x']);
    assert.is(inheritedHandover({ [HANDOVER_ENV]: '{"load":1}' }), undefined);
    assert.equal(inheritedHandover({ [HANDOVER_ENV]: JSON.stringify({ load: L2, slot: 'B', trial: true, upFd: 3 }) }), { load: L2, slot: 'B', trial: true, upFd: 3 });
    assert.is(inheritedHandover({}), undefined);
    const missing = await extractRuntime(f, 'pfs-linux-none', join(b.dir, 'run')).catch((e) => e);
    assert.is(missing.code, 'PFS_ERR_RUNTIME');
    // A dir flash on a real folder: started from the slot itself, not copied.
    const d = await trialBoard({ loads: [{ load: L2, files: { [RUNTIME]: script } }] });
    try {
      const inSlot = await extractRuntime(await d.flash(), RUNTIME, join(d.dir, 'run'));
      assert.is(inSlot, join(d.root, 'flash', 'slotA', RUNTIME));
      assert.is((await stat(inSlot)).mode & 0o777, 0o755);
    } finally {
      await d.close();
    }
  } finally {
    await b.close();
  }
});

test('a runtime that exits at once (even with 0) while its load is on trial fails the boot; after the board file\'s number of boots the board is back on the old load, in this process', async () => {
  const b = await trialBoard({ loads: [{ load: L1, files: { 'a.sbn': 'one' } }, { load: L2, files: { 'a.sbn': 'two', [RUNTIME]: '#!/bin/sh\nexit 0\n' } }], trials: 2 });
  try {
    await b.offer(L2);
    for (const n of [1, 2]) {
      const r = await b.boot({ runtime: { argv: ['boot'] } });
      assert.is(r.exit, EXIT.FAILED, r.lines.join('\n'));
      assert.ok(r.lines.some((l) => l.includes(`starting ${RUNTIME} of ${L2} (slot B)`)), r.lines.join('\n'));
      assert.ok(r.lines.some((l) => l.includes(`${RUNTIME} of ${L2} ended (exit 0) before it reached the network: trial boot ${n} of 2 failed`)), r.lines.join('\n'));
    }
    const back = await b.boot({ runtime: { argv: ['boot'] } });
    assert.ok(back.lines.some((l) => l.includes(`load ${L2} failed to come up 2 times: rolled back to ${L1} (slot A)`)), back.lines.join('\n'));
    assert.not.ok(back.lines.some((l) => l.includes('starting ')), 'the old load carries no runtime: this process runs it');
    assert.is(back.exit, EXIT.CURRENT, back.lines.join('\n'));
    const st = await (await b.flash()).status();
    assert.equal([st.active, st.rejected], ['A', L2]);
  } finally {
    await b.close();
  }
});

test('a runtime on a load that is no longer on trial ends the boot with its own exit code; one that cannot start is PFS_ERR_RUNTIME and a failed boot', async () => {
  const b = await trialBoard({ loads: [{ load: L1, files: { 'a.sbn': 'one' } }, { load: L2, files: { [RUNTIME]: '#!/bin/sh\nexit 7\n' } }], good: true });
  try {
    const r = await b.boot({ runtime: { argv: ['boot'] } });
    assert.is(r.exit, 7, r.lines.join('\n'));
    // Not told to hand over (a board in a test or lab process): it runs here.
    await b.offer(L2);
    assert.is((await b.boot()).exit, EXIT.CURRENT);
  } finally {
    await b.close();
  }
  const c = await trialBoard({ loads: [{ load: L1, files: { 'a.sbn': 'one' } }, { load: L2, files: { [RUNTIME]: '#!/no/such/interpreter\n' } }] });
  try {
    const r = await c.boot({ runtime: { argv: ['boot'] } });
    assert.is(r.exit, EXIT.FAILED);
    assert.ok(r.lines.some((l) => /^ERR .* BOOT: runtime .*pfs-linux-\w+: cannot start it \(ENOENT\)/.test(l) && l.includes('PFS_ERR_RUNTIME')), r.lines.join('\n'));
    assert.ok(r.lines.some((l) => l.includes('before it reached the network: trial boot 1 of 3 failed')), r.lines.join('\n'));
  } finally {
    await c.close();
  }
});

test('with the board file\'s trialSeconds, a runtime on trial that does not come up in time is stopped (a failed trial boot); one that says it came up runs on', async () => {
  const hang = await trialBoard({ loads: [{ load: L1, files: { 'a.sbn': 'one' } }, { load: L2, files: { [RUNTIME]: '#!/bin/sh\nwhile :; do sleep 0.05; done\n' } }], trialSeconds: 1 });
  try {
    const r = await hang.boot({ runtime: { argv: ['boot'] } });
    assert.is(r.exit, EXIT.FAILED);
    assert.ok(r.lines.some((l) => /^WRN .* BOOT: pfs-linux-\w+ of SCCP41\.9-5-1 did not come up within 1 s: stopping it$/.test(l)), r.lines.join('\n'));
    assert.ok(r.lines.some((l) => l.includes('ended (exit 143) before it reached the network: trial boot 1 of 3 failed')), r.lines.join('\n'));
  } finally {
    await hang.close();
  }
  const says = await trialBoard({ loads: [{ load: L1, files: { 'a.sbn': 'one' } }, { load: L2, files: { [RUNTIME]: '#!/bin/sh\necho up >&3\nsleep 1.5\nexit 0\n' } }], trialSeconds: 1 });
  try {
    const r = await says.boot({ runtime: { argv: ['boot'] } });
    assert.not.ok(r.lines.some((l) => l.includes('did not come up within')), r.lines.join('\n'));
    // It said so but never marked the load good: still a failed trial boot, once it ended by itself.
    assert.ok(r.lines.some((l) => l.includes('ended (exit 0) before it reached the network')), r.lines.join('\n'));
  } finally {
    await says.close();
  }
});

test('reportUp writes one line to the launcher\'s descriptor and closes it; without one it does nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-runtime-'));
  try {
    const fd = openSync(join(dir, 'up'), 'w');
    const h = { load: L2, slot: 'B' as const, trial: true, upFd: fd };
    reportUp(h);
    reportUp(h); // told already: nothing
    assert.is(h.upFd, undefined);
    reportUp({ load: L2, slot: 'B', trial: true });
    assert.is(await readFile(join(dir, 'up'), 'utf8'), 'up\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the launcher passes SIGTERM on to the runtime (systemctl stop) and ends as it ends', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-runtime-'));
  try {
    const script = join(dir, RUNTIME);
    await writeFile(script, `#!/bin/sh\ntrap 'echo stopped > "${dir}/got"; exit 5' TERM\ntouch "${dir}/up"\nwhile :; do sleep 0.05; done\n`);
    await chmod(script, 0o755);
    const ran = runRuntime(script, [], { load: L2, slot: 'B', trial: false });
    await until(() => existsSync(join(dir, 'up')), { timeoutMs: 10_000, what: 'the runtime to start' });
    // To this process, as the service manager would: the launcher's handler takes it, so the test lives on.
    process.kill(process.pid, 'SIGTERM');
    assert.is(await ran, 5);
    assert.is(await readFile(join(dir, 'got'), 'utf8'), 'stopped\n');
    assert.is(process.listenerCount('SIGTERM'), 0, 'the handler is gone with the runtime');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
