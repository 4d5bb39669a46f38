// One file for the board: every JS dependency is bundled in, Node built-ins stay
// external, and the optional native addon is loaded at run time from beside it.
import { builtinModules } from 'node:module';
import esbuild from 'rollup-plugin-esbuild';
import { transform } from 'esbuild';
import resolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import json from '@rollup/plugin-json';
import { embedProfiles } from './scripts/release-profiles.mjs';

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

export default {
  input: 'src/cli/bin.ts',
  output: {
    file: 'dist/pfs.cjs',
    format: 'cjs',
    banner: '#!/usr/bin/env node',
    // pfs.cjs.map beside the bundle: stack traces name the .ts file and line (read by
    // src/cli/source-maps.ts only when a stack is printed). Mappings only: a frame
    // needs no source text, and the file copied to a board stays small (0.7 MB).
    sourcemap: true,
    sourcemapExcludeSources: true,
    inlineDynamicImports: true,
  },
  external: (id) => builtins.has(id),
  plugins: [
    // boards/**/*.json inside the bundle: pfs.cjs (or a release executable) copied alone boots.
    embedProfiles(),
    resolve({ extensions: ['.ts', '.mjs', '.js', '.json'], preferBuiltins: true }),
    commonjs(),
    json(),
    esbuild({ target: 'node20', minify: false, sourceMap: true }),
    // The bundle as a board holds it: V8 keeps the whole source text for as long as
    // the process runs (functions compile lazily from it), as a two-byte string once
    // one character is not Latin-1. Comments and indentation out, every non-ASCII
    // character escaped: 0.5 MB of one-byte text instead of 1.7 MB. Names are kept,
    // so a stack trace still reads (and maps to the .ts line through pfs.cjs.map).
    {
      name: 'board-text',
      async renderChunk(code) {
        const r = await transform(code, { loader: 'js', format: undefined, minifyWhitespace: true, charset: 'ascii', legalComments: 'none', sourcemap: 'external' });
        return { code: r.code, map: r.map };
      },
    },
  ],
};
