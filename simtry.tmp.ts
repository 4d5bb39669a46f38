import { simulate } from './src/sim/simulate';
const SITE = { fileBytes: 8 << 20, files: 2, starveMs: 1000, bootJitterMs: 3000, maxSeconds: 600 };
for (const election of ['fast', 'phone'] as const) { const copies: string[] = []; let bad = 0;
  for (const boards of [16, 32, 64]) for (let seed = 1; seed <= 5; seed++) {
    const s = simulate({ ...SITE, boards, seed, election, manifest: true });
    if (!s.allVerified) bad++;
    for (const b of s.originBytesByModel) copies.push((b / s.fileBytes).toFixed(4));
  }
  console.log(election, bad, copies.join(' '));
}
