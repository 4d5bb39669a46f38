// A rollup plugin: bakes boards/**/*.json into the bundle, in place of the body of
// src/profiles/builtin.ts (which, run from the sources, reads the folder instead).
// So dist/pfs.cjs and the release executables carry every board and model profile.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

export function embedProfiles({ boardsDir = resolve('boards'), module = resolve('src/profiles/builtin.ts') } = {}) {
  return {
    name: 'pfs-embed-profiles',
    load(id) {
      if (resolve(id) !== module) return null;
      const texts = {};
      const walk = (dir) => {
        for (const n of readdirSync(dir).sort()) {
          const p = join(dir, n);
          if (statSync(p).isDirectory()) walk(p);
          else if (n.endsWith('.json')) {
            this.addWatchFile(p);
            texts[relative(boardsDir, p).split(sep).join('/')] = readFileSync(p, 'utf8');
          }
        }
      };
      walk(boardsDir);
      return [
        `const TEXTS = ${JSON.stringify(texts)};`,
        `export function builtinProfiles() { return new Map(Object.entries(TEXTS)); }`,
      ].join('\n');
    },
  };
}
