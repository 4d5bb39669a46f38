// pfs pack --runtime: a load that carries pfs itself, one component per CPU, named
// for the CPU its ELF header says (src/loads/runtime.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packCommand } from '../../src/cli/commands/pack';
import { UsageError } from '../../src/errors';
import { loadTrust } from '../../src/loads/keys';
import { openSignedManifest } from '../../src/loads/manifest';
import { runtimeArchOf, runtimeArchOfNode } from '../../src/loads/runtime';
import { rejection, runCaptured, workspace } from './helpers';

/** The first bytes of a little-endian ELF executable for `machine` (0xb7 aarch64, 0x28 ARM, 0x3e x86-64). */
function elf(machine: number, body = 'code'): Buffer {
  const head = Buffer.alloc(64);
  head.writeUInt32BE(0x7f454c46, 0);
  head[4] = 2;
  head[5] = 1;
  head.writeUInt16LE(2, 16);
  head.writeUInt16LE(machine, 18);
  return Buffer.concat([head, Buffer.from(body)]);
}

test('pfs pack --runtime packs each executable as pfs-linux-<its CPU>, whatever its file is called, beside the other components', async () => {
  const w = await workspace();
  try {
    const arm64 = elf(0xb7, 'arm64 runtime');
    const armv7 = elf(0x28, 'armv7 runtime');
    const script = Buffer.from('#!/bin/sh\nexec node pfs.cjs "$@"\n');
    await writeFile(join(w.build, 'pfs-arm64-build'), arm64);
    await writeFile(join(w.build, 'armv7.bin'), armv7);
    await writeFile(join(w.build, 'pfs-linux-x64'), script);
    await writeFile(join(w.build, 'apps41.sbn'), 'apps');
    const out = join(w.dir, 'tftp');
    const runtime = ['pfs-arm64-build', 'armv7.bin', 'pfs-linux-x64'].map((n) => join(w.build, n)).join(',');
    const r = await runCaptured((log) =>
      packCommand.run({ argv: ['--load', 'SCCP41.9-5-1', '--model', 'CP-7961G', '--key', w.key, '--boards-dir', 'boards', '--runtime', runtime, join(w.build, 'apps41.sbn'), '-o', out], log }),
    );
    assert.is(r.status, 0);
    const m = openSignedManifest(await readFile(join(out, 'SCCP41.9-5-1.loads')), await loadTrust(w.trust), 'SCCP41.9-5-1.loads');
    assert.equal(m.files.map((f) => f.name), ['apps41.sbn', 'pfs-linux-arm64', 'pfs-linux-armv7l', 'pfs-linux-x64']);
    assert.ok((await readFile(join(out, 'pfs-linux-arm64'))).equals(arm64));
    assert.ok((await readFile(join(out, 'pfs-linux-armv7l'))).equals(armv7));
    assert.ok((await readFile(join(out, 'pfs-linux-x64'))).equals(script));
    assert.match(r.stdout, /pfs-linux-arm64/);
    // A load of nothing but a runtime is a load too.
    const only = await runCaptured((log) =>
      packCommand.run({ argv: ['--load', 'SCCP41.9-5-2', '--model', 'CP-7961G', '--key', w.key, '--boards-dir', 'boards', '--runtime', join(w.build, 'armv7.bin'), '-o', out], log }),
    );
    assert.is(only.status, 0);
  } finally {
    await w.close();
  }
});

test('pfs pack --runtime refuses, writing nothing, a file for a CPU pfs does not run on, a script not named for its CPU, and two runtimes for one CPU', async () => {
  const w = await workspace();
  try {
    await writeFile(join(w.build, 'i386'), elf(0x03));
    await writeFile(join(w.build, 'run.sh'), '#!/bin/sh\nexit 0\n');
    await writeFile(join(w.build, 'a'), elf(0xb7));
    await writeFile(join(w.build, 'b'), elf(0xb7, 'other'));
    const out = join(w.dir, 'tftp');
    const pack = (runtime: string) =>
      rejection(runCaptured((log) => packCommand.run({ argv: ['--load', 'SCCP41.9-5-1', '--model', 'CP-7961G', '--key', w.key, '--boards-dir', 'boards', '--runtime', runtime, '-o', out], log })));
    const i386 = await pack(join(w.build, 'i386'));
    assert.instance(i386, UsageError);
    assert.match(i386.message, /i386: an ELF executable for machine 0x3; pfs runs on x64, arm64 and armv7l/);
    const script = await pack(join(w.build, 'run.sh'));
    assert.instance(script, UsageError);
    assert.match(script.message, /run\.sh: not an ELF executable; .*must be named pfs-linux-arm64/);
    const twice = await pack(`${join(w.build, 'a')},${join(w.build, 'b')}`);
    assert.instance(twice, UsageError);
    assert.match(twice.message, /two components are named "pfs-linux-arm64"/);
    const missing = await pack(join(w.build, 'nope'));
    assert.match(missing.message, /--runtime .*nope: cannot read it \(ENOENT\)/);
    assert.instance(await rejection(readFile(join(out, 'SCCP41.9-5-1.loads'))), Error, 'nothing written');
  } finally {
    await w.close();
  }
});

test('runtime names and CPUs: Node\'s arm is armv7l; other names are no runtime', () => {
  assert.is(runtimeArchOfNode('arm'), 'armv7l');
  assert.is(runtimeArchOfNode('arm64'), 'arm64');
  assert.is(runtimeArchOfNode('x64'), 'x64');
  assert.is(runtimeArchOfNode('ia32'), undefined);
  assert.is(runtimeArchOf('pfs-linux-armv7l'), 'armv7l');
  assert.is(runtimeArchOf('pfs-linux-arm'), undefined);
  assert.is(runtimeArchOf('apps41.sbn'), undefined);
});

test.run();
