import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import { PfsError } from '../errors';
import { modelNames } from './names';
import type { BoardProfile, ModelProfile } from './types';
import { BUILTIN_BOARDS_DIR } from './boards-dir';
import { builtinProfiles } from './builtin';
// Compiled from schema.ts at build time (scripts/gen-profile-validators.mjs), not at start.
import { checkBoard, checkModel } from './validators';

/** A board or model file that cannot be used (PFS_ERR_PROFILE): the message names the file and the field. */
export class ProfileError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_PROFILE', message);
  }
}

/** The value at a JSON pointer, for the `(got …)` part of a message. */
function at(data: unknown, pointer: string): unknown {
  let v = data;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  }
  return v;
}

/** `file: /field must … (got …)`, from ajv's first complaint. */
function describe(file: string, e: ErrorObject, data: unknown): string {
  const p = e.params as Record<string, unknown>;
  const got = ` (got ${JSON.stringify(at(data, e.instancePath))})`;
  switch (e.keyword) {
    case 'required':
      return `${file}: ${e.instancePath}/${String(p.missingProperty)} is required`;
    case 'additionalProperties':
      return `${file}: ${e.instancePath}/${String(p.additionalProperty)} is not a known field`;
    case 'enum':
      return `${file}: ${e.instancePath || '/'} must be one of ${(p.allowedValues as unknown[]).join(', ')}${got}`;
    case 'type':
      return `${file}: ${e.instancePath || '/'} must be ${/^[aeiou]/.test(String(p.type)) ? 'an' : 'a'} ${String(p.type)}${got}`;
    default:
      return `${file}: ${e.instancePath || '/'} ${e.message}${got}`;
  }
}

/** The parameters each back-end needs, beyond what the schema can say. */
function checkBackendParams(file: string, b: BoardProfile): void {
  const need = (ok: boolean, field: string, what: string) => {
    if (!ok) throw new ProfileError(`${file}: ${field} is required for ${what}`);
  };
  need(b.flash.backend === 'dir' || b.flash.slots !== undefined, '/flash/slots', `flash backend ${b.flash.backend} (the A and B partitions)`);
  if (b.display.backend === 'fbdev' || b.display.backend === 'ssd1306') need(b.display.device !== undefined, '/display/device', `display backend ${b.display.backend}`);
  if (b.display.backend === 'png') need(b.display.path !== undefined, '/display/path', 'display backend png');
  if (b.leds.backend === 'sysfs') need(b.leds.path !== undefined, '/leds/path', 'leds backend sysfs');
  if (b.leds.backend === 'gpio') {
    need(b.leds.device !== undefined, '/leds/device', 'leds backend gpio');
    need(b.leds.line !== undefined, '/leds/line', 'leds backend gpio');
  }
}

/** A path under the built-in profiles (`(built in)/models` → `models`), or undefined for a real path. */
function builtinPath(p: string): string | undefined {
  if (p === BUILTIN_BOARDS_DIR) return '';
  return p.startsWith(`${BUILTIN_BOARDS_DIR}/`) ? p.slice(BUILTIN_BOARDS_DIR.length + 1) : undefined;
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  const inside = builtinPath(file);
  try {
    if (inside === undefined) text = await readFile(file, 'utf8');
    else {
      const t = builtinProfiles().get(inside);
      if (t === undefined) throw Object.assign(new Error('not built in'), { code: 'ENOENT' });
      text = t;
    }
  } catch (e) {
    throw new ProfileError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ProfileError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

async function jsonNames(dir: string): Promise<string[]> {
  const inside = builtinPath(dir);
  if (inside !== undefined) {
    const prefix = inside === '' ? '' : `${inside}/`;
    return [...builtinProfiles().keys()]
      .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
      .map((k) => k.slice(prefix.length, -5))
      .sort();
  }
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).sort();
  } catch (e) {
    throw new ProfileError(`${dir}: cannot read the folder (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

/**
 * Reads and checks `<boardsDir>/<name>.json`. `boardsDir` is the caller's choice
 * (beside the bundle on a flashed board, `boards/` in this repository, or
 * BUILTIN_BOARDS_DIR for the profiles built into the program).
 * Throws ProfileError (PFS_ERR_PROFILE) naming the file, the field and what was
 * expected, or for an unknown name, the boards that exist.
 */
export async function loadBoard(boardsDir: string, name: string): Promise<BoardProfile> {
  const available = await jsonNames(boardsDir);
  if (!available.includes(name)) {
    throw new ProfileError(`unknown board "${name}": boards in ${boardsDir} are ${available.join(', ') || '(none)'}`);
  }
  const file = join(boardsDir, `${name}.json`);
  const data = await readJson(file);
  if (!checkBoard(data)) throw new ProfileError(describe(file, checkBoard.errors![0]!, data));
  if (data.board !== name) throw new ProfileError(`${file}: /board must be "${name}", the file's name (got ${JSON.stringify(data.board)})`);
  checkBackendParams(file, data);
  return data;
}

/**
 * Reads and checks every `<boardsDir>/models/*.json`, keyed by model name.
 * Throws ProfileError on the first bad file, or when there is none.
 */
export async function loadModels(boardsDir: string): Promise<Map<string, ModelProfile>> {
  const dir = join(boardsDir, 'models');
  const out = new Map<string, ModelProfile>();
  const claimed = new Map<string, string>();
  for (const n of await jsonNames(dir)) {
    const file = join(dir, `${n}.json`);
    const data = await readJson(file);
    if (!checkModel(data)) throw new ProfileError(describe(file, checkModel.errors![0]!, data));
    if (data.model !== n) throw new ProfileError(`${file}: /model must be "${n}", the file's name (got ${JSON.stringify(data.model)})`);
    // Two profiles answering to one name would make selection and XMLDefault lookups a guess.
    for (const alias of modelNames(data)) {
      const other = claimed.get(alias);
      if (other) throw new ProfileError(`${file}: /aliases: "${alias}" also names ${other}`);
      claimed.set(alias, data.model);
    }
    out.set(data.model, data);
  }
  if (out.size === 0) throw new ProfileError(`no model profiles in ${dir}`);
  return out;
}

/** The names of the board files in `boardsDir` (`rpi4`, …), sorted. Throws ProfileError when the folder cannot be read. */
export async function listBoards(boardsDir: string): Promise<string[]> {
  return jsonNames(boardsDir);
}
