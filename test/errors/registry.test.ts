// The error registry (src/error-codes.ts) against everything that names a code: the
// generated docs/ERRORS.md, the throw sites in src/, the other docs, the tests, and
// the error classes. Each check reads the files as they are, so a code added in one
// place and forgotten in another fails here with the file to fix.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ERROR_CODES, isErrorCode } from '../../src/error-codes';
import { ERRORS_DOC, renderErrorsDoc } from '../../scripts/gen-errors-doc';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const self = fileURLToPath(import.meta.url);


/**
 * Error classes under src/ that are not PfsErrors, and why. They stand for what the
 * operating system would throw (errno errors with `code` EIO, EINVAL, …) in the
 * emulated media, and never leave the flash back-ends: src/hal/flash wraps them as
 * the `cause` of a FlashError (PFS_ERR_FLASH_IO).
 */
const ERRNO_STANDINS = new Set([
  'MtdRuleError', // src/hal/flash/mtd-emu.ts: the emulated chip refusing a write, errno-style
  'PowerCut', // src/hal/flash/mem.ts: the power-cut test's in-memory medium dying
]);

function walk(dir: string, keep: (name: string) => boolean, out: string[] = []): string[] {
  for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (d.name === 'node_modules' || d.name === 'fixtures') continue;
    if (d.isDirectory()) walk(join(dir, d.name), keep, out);
    else if (keep(d.name)) out.push(join(dir, d.name));
  }
  return out;
}

const srcFiles = walk(join(repo, 'src'), (n) => /\.(ts|mts|cts|js|mjs)$/.test(n));
const registryFile = join(repo, 'src', 'error-codes.ts');
const testFiles = walk(join(repo, 'test'), (n) => /\.(ts|mts|mjs|js)$/.test(n)).filter((f) => f !== self);
const read = (f: string) => readFileSync(f, 'utf8');
const rel = (f: string) => relative(repo, f);

/**
 * The codes `text` names literally, and the places it builds one (`PFS_ERR_${x}`,
 * 'PFS_ERR_' + x). A trailing `*` is a family in prose (`PFS_ERR_FLASH_*`): skipped.
 */
function codesIn(text: string): { codes: Set<string>; built: string[] } {
  const codes = new Set<string>();
  const built: string[] = [];
  for (const m of text.matchAll(/PFS_ERR_[A-Z0-9_]*(\*|\$\{|['"`]\s*\+)?/g)) {
    if (m[1] === '*') continue;
    if (m[1] || m[0].endsWith('_')) built.push(m[0]);
    else codes.add(m[0]);
  }
  return { codes, built };
}

/** Whether `text` names `code` itself, not a longer code it begins (PFS_ERR_PACK in PFS_ERR_PACK_IO). */
const names = (text: string, code: string) => new RegExp(`${code}(?![A-Z0-9_])`).test(text);

test('docs/ERRORS.md is what the registry renders (run npm run docs:errors after changing src/error-codes.ts)', () => {
  assert.is(read(ERRORS_DOC), renderErrorsDoc());
});

test('the doc has one row per registered code, with its exit code', () => {
  const doc = read(ERRORS_DOC);
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    const rows = doc.split('\n').filter((l) => l.startsWith(`| \`${code}\` |`));
    assert.is(rows.length, 1, code);
    assert.ok(rows[0]!.startsWith(`| \`${code}\` | ${info.exit} |`), rows[0]);
  }
});

test('every registered code has a meaning, an action and an exit code of 1, 2 or 3', () => {
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^PFS_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
    assert.ok(info.meaning.length > 10 && info.action.length > 10, code);
    assert.ok([1, 2, 3].includes(info.exit), code);
  }
});

test('every PFS_ERR_* code in src/ is registered, and none is built from pieces', () => {
  const problems: string[] = [];
  for (const f of srcFiles) {
    if (f === registryFile) continue;
    const { codes, built } = codesIn(read(f));
    for (const c of codes) if (!isErrorCode(c)) problems.push(`${rel(f)}: ${c} is not in src/error-codes.ts`);
    for (const b of built) problems.push(`${rel(f)}: builds a code from pieces (${b}…): write each code out, so it can be found`);
  }
  assert.equal(problems, []);
});

test('every code in the docs and the README is registered', () => {
  const docs = [join(repo, 'README.md'), ...walk(join(repo, 'docs'), (n) => n.endsWith('.md'))];
  const problems: string[] = [];
  for (const f of docs) for (const c of codesIn(read(f)).codes) if (!isErrorCode(c)) problems.push(`${rel(f)}: ${c}`);
  assert.equal(problems, []);
});

test('every registered code is raised somewhere in src/', () => {
  const text = srcFiles.filter((f) => f !== registryFile).map(read).join('\n');
  const unused = Object.keys(ERROR_CODES).filter((c) => !names(text, c));
  assert.equal(unused, [], 'registered but raised nowhere: remove them from src/error-codes.ts, or raise them');
});

test('every registered code is made to happen by a test under test/ (or is listed as pending)', () => {
  const text = testFiles.map(read).join('\n');
  const untested = Object.keys(ERROR_CODES).filter((c) => !names(text, c));
  assert.equal(untested, [], 'no test names these codes: add a test that makes each happen and asserts its code');
});

test('every error class under src/ is a PfsError (errno stand-ins of the emulated media excepted)', () => {
  const parent = new Map<string, { base: string; file: string }>();
  for (const f of srcFiles) {
    for (const m of read(f).matchAll(/class\s+(\w+)(?:<[^>]*>)?\s+extends\s+(\w+)/g)) parent.set(m[1]!, { base: m[2]!, file: rel(f) });
  }
  const problems: string[] = [];
  for (const [name, { file }] of parent) {
    const chain: string[] = [];
    let at: string | undefined = name;
    while (at && parent.has(at) && at !== 'PfsError') {
      chain.push(at);
      at = parent.get(at)!.base;
    }
    const error = /Error$/.test(at ?? '') && at !== 'PfsError';
    if (error && !ERRNO_STANDINS.has(name)) problems.push(`${file}: ${[...chain, at].join(' → ')} is not a PfsError`);
  }
  assert.equal(problems, []);
  for (const s of ERRNO_STANDINS) assert.ok(parent.has(s), `${s} is gone: take it out of ERRNO_STANDINS`);
});

test.run();
