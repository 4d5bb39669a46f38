#!/usr/bin/env node
// The layer check `npm test` runs first: every import in src/ goes down the layer order,
// and no file imports itself round a cycle. Dependency-free on purpose (a regex over the
// import lines, not a compiler), so it runs before anything is installed or built.
//
//   node scripts/check-layers.mjs [SRC_DIR]     (default: the repository's src/)
//
// Exit status 0 when the tree is clean, 1 with one line per problem otherwise.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The layers, bottom first. A file belongs to the layer of its first folder under src/;
 * files directly under src/ (errors.ts, version.ts) are ROOT, the bottom. A file may
 * import its own folder or a lower layer, never a higher one, and never a sibling folder
 * of its own layer (those are independent of each other). A new folder must be added here.
 */
export const LAYERS = [
  ['ROOT'], // the files directly under src/: errors.ts, version.ts
  ['log', 'units', 'io'], // io: sleep, writeAll (small helpers with no imports)
  ['dload'], // the sans-IO DLoad core
  ['loads', 'net', 'sim', 'profiles'],
  ['hal'],
  ['boot'],
  ['tree'], // pfs tree: the status query's listener, the tree view and status page (lab draws with it)
  ['lab', 'image'], // image: pfs image, a board's SD card image (uses boot's exit codes)
  ['cli'],
];

const SOURCE = /\.(?:[cm]?ts|[cm]?js)$/;
const RESOLVE_AS = ['', '.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.d.ts', '/index.ts', '/index.js'];

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (SOURCE.test(name)) out.push(p);
  }
  return out;
}

/** The relative specifiers a file imports or re-exports (types included: they bind layers too). */
export function specifiers(text) {
  // Comments may quote imports; strings are left alone (a regex cannot tell them apart well enough to matter here).
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = [];
  const patterns = [
    /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?\bfrom\s*(['"])([^'"\n]+)\1/g, // import … from 'x', export … from 'x'
    /(?:^|[\s;])import\s*(['"])([^'"\n]+)\1/g, // import 'x'
    /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g, // import('x')
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[2]);
  return [...new Set(found)].filter((s) => s.startsWith('./') || s.startsWith('../'));
}

function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const suffix of RESOLVE_AS) {
    const p = base + suffix;
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

/** Shortest cycle through `start` inside one strongly connected component, as a list of files. */
function cycleThrough(start, graph, inComponent) {
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const f = queue.shift();
    for (const t of graph.get(f) ?? []) {
      if (t === start) {
        const path = [f];
        for (let p = prev.get(f); p !== null; p = prev.get(p)) path.unshift(p);
        return [...path, start];
      }
      if (inComponent.has(t) && !prev.has(t)) {
        prev.set(t, f);
        queue.push(t);
      }
    }
  }
  return [start, start];
}

/** Tarjan's strongly connected components: every one with more than one file (or a self-import) is a cycle. */
function cycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out.map((comp) => cycleThrough(comp[0], graph, new Set(comp)));
}

/**
 * Checks the tree under `srcDir`. Returns the problems, one line each, with paths as
 * `src/…` (relative to srcDir's parent): upward or sideways imports, folders in no layer,
 * imports that name no file, and file-level cycles.
 */
export function checkLayers(srcDir) {
  const root = resolve(srcDir);
  const shown = (f) => relative(dirname(root), f);
  const layerOf = (f) => {
    const parts = relative(root, f).split(/[\\/]/);
    return parts.length === 1 ? 'ROOT' : parts[0];
  };
  const label = (layer) => (layer === 'ROOT' ? 'src/*.ts' : layer);
  const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));
  const problems = [];
  const graph = new Map();
  const unplaced = new Set();
  for (const file of walk(root)) {
    const from = layerOf(file);
    if (!rank.has(from) && !unplaced.has(from)) {
      unplaced.add(from);
      problems.push(`src/${from}/ is in no layer: add it to LAYERS in scripts/check-layers.mjs`);
    }
    const targets = [];
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const target = resolveImport(file, spec);
      if (target === undefined) {
        problems.push(`${shown(file)} imports '${spec}', which names no file`);
        continue;
      }
      if (!target.startsWith(root + '/')) {
        problems.push(`${shown(file)} -> ${shown(target)} (outside src/)`);
        continue;
      }
      targets.push(target);
      const to = layerOf(target);
      if (from === to || !rank.has(from) || !rank.has(to)) continue;
      if (rank.get(to) > rank.get(from)) problems.push(`${shown(file)} -> ${shown(target)} (${label(from)} may not import ${label(to)}: it is a higher layer)`);
      else if (rank.get(to) === rank.get(from)) problems.push(`${shown(file)} -> ${shown(target)} (${label(from)} may not import ${label(to)}: they are one layer, independent of each other)`);
    }
    graph.set(file, targets);
  }
  for (const c of cycles(graph)) problems.push(`import cycle: ${c.map(shown).join(' -> ')}`);
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcDir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const problems = checkLayers(srcDir);
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    console.error(`layers: ${problems.length} problem${problems.length === 1 ? '' : 's'}; the order, bottom first: ${LAYERS.map((l) => l.map((n) => (n === 'ROOT' ? 'src/*.ts' : n)).join('/')).join(' <- ')}`);
    process.exit(1);
  }
  console.log(`layers: ${walk(resolve(srcDir)).length} files, every import goes down, no cycle`);
}
