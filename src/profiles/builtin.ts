import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// The board and model files that travel inside the program, so that pfs.cjs or a
// release executable copied alone can boot. In the bundle this module's body is
// replaced at build time by the texts of boards/**/*.json (scripts/release-profiles.mjs,
// a rollup plugin); run from the sources, it reads this checkout's boards/ folder.

/** Every built-in profile's text by its path under boards/ (`rpi4.json`, `models/CP-7961G.json`). */
export function builtinProfiles(): ReadonlyMap<string, string> {
  const root = fileURLToPath(new URL('../../boards/', import.meta.url));
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.json')) out.set(relative(root, p), readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  return out;
}
