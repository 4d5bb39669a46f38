// Runs upgrades on a dir flash forever (L1, L2, ...) until killed: the power-cut
// test SIGKILLs it at random moments. Prints `ready` once booted, then the step it
// is at (`write`, `commit`, `good`), so the test can tell where each kill landed.
// Usage: node --import tsx test/hal/flash/upgrader.ts ROOT
import { DirFlash } from '../../../src/hal/flash/dir';
import { COMPONENTS, loadContent } from './load-content';

const say = (line: string) => process.stdout.write(`${line}\n`);
const flash = new DirFlash(process.argv[2]!);
await flash.open();
await flash.boot();
say('ready');
for (;;) {
  const active = await flash.activeLoad();
  const load = `L${active ? Number(active.slice(1)) + 1 : 1}`;
  say('write');
  await flash.beginInstall(load);
  const files = [];
  for (const name of COMPONENTS) {
    const data = loadContent(load, name);
    const store = await flash.openComponent(name);
    // A resume after a kill: keep nothing (the engine would keep a verified prefix).
    await store.truncate(0);
    for (let off = 0; off < data.length; off += 32_768) await store.writev([data.subarray(off, off + 32_768)], off);
    await store.close();
    files.push({ name, size: data.length });
  }
  say('commit');
  await flash.commit(load, files);
  say('good');
  await flash.markGood();
}
