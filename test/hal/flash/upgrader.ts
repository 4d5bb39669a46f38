// Runs upgrades on a dir flash forever (L1, L2, ...) until killed: the power-cut
// test SIGKILLs it at random moments. Usage: node --import tsx upgrader.ts ROOT
import { DirFlash } from '../../../src/hal/flash/dir';
import { loadContent, COMPONENTS } from './load-content';

const flash = new DirFlash(process.argv[2]!);
await flash.open();
await flash.boot();
process.stdout.write('ready\n');
for (;;) {
  const active = await flash.activeLoad();
  const load = `L${active ? Number(active.slice(1)) + 1 : 1}`;
  await flash.beginInstall(load);
  const files = [];
  for (const name of COMPONENTS) {
    const data = loadContent(load, name);
    const store = await flash.openComponent(name);
    await store.truncate(0);
    for (let off = 0; off < data.length; off += 65536) await store.writev([data.subarray(off, off + 65536)], off);
    await store.sync();
    await store.close();
    files.push({ name, size: data.length });
  }
  await flash.commit(load, files);
  await flash.markGood();
}
