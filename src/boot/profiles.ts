import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type JSONSchemaType } from 'ajv';
import { PfsError } from '../errors';

/**
 * A board's hardware (`boards/<board>.json`): which HAL back-end drives each part
 * and its parameters. Every path is taken under the board's root folder (see
 * `boardPath`): `/` on a flashed board, a folder for the `sim` board. See docs/CONFIG.md.
 */
export interface BoardProfile {
  board: string;
  description: string;
  /**
   * Firmware slots. `dir`: `path` is a folder holding both slots and the pointer.
   * `block` / `mtd` (issue 6): `path` is the pointer's partition or file, `slots`
   * the A and B partitions.
   */
  flash: { backend: 'dir' | 'mtd' | 'block'; path: string; slots?: string[] };
  /**
   * `fbdev`: `device` (/dev/fb0). `ssd1306`: `device` (/dev/i2c-1) and its I2C
   * `address` (default 0x3c). `png`: `path`, the file the screen is written to.
   */
  display: { backend: 'fbdev' | 'ssd1306' | 'terminal' | 'png' | 'none'; device?: string; address?: number; path?: string };
  /** `sysfs`: `path`, the LED's folder (/sys/class/leds/ACT). `gpio`: `device` (/dev/gpiochip0) and `line`. */
  leds: { backend: 'sysfs' | 'gpio' | 'terminal' | 'none'; path?: string; device?: string; line?: number };
  /** Serial console device (`-`: standard output) and its speed in baud. */
  console: { device: string; baud: number };
  /** The interface whose MAC names the board and whose subnet it shares with its peers. */
  network: { interface: string };
  /** The boot configuration file (pfs.txt). */
  bootConfig: string;
  /** The kernel command line (/proc/cmdline). */
  cmdline: string;
  /** Folder of the public keys the board accepts signed loads from. */
  trust: string;
  /** Scratch space that is not flash (the manifest waits here until verified). */
  tmp: string;
}

/** A phone model (`boards/models/<model>.json`) as the phone reports it, and what it can do. */
export interface ModelProfile {
  /** As the phone reports it: CP-7961G. Equal to the file name. */
  model: string;
  description: string;
  /** Prefix of this model's load names, e.g. SCCP41 for the 7941/7961. */
  loadPrefix: string;
  /** The physical display: pixels, bits per pixel, colour or grey levels. */
  screen: { width: number; height: number; depth: number; color: boolean };
  /** The phone's lights, by name (message, line, speaker, …). */
  leds: string[];
  /** Whether the model takes part in Peer Firmware Sharing (the 7940/7960 do not). */
  pfs: boolean;
  /**
   * CUCM's device type number, as in XMLDefault's `<loadInformation30018>` (7961).
   * A `loadInformation<N>` element with this N is for this model.
   */
  deviceType?: number;
  /** Other names for the model: CUCM's `model="Cisco 7961"`, `IP Phone 7961`, a bare `7961`. */
  aliases?: string[];
  /** Where the figures come from and what is assumed. */
  notes?: string;
}

export class ProfileError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_PROFILE', message);
  }
}

const path = { type: 'string', minLength: 1 } as const;

const boardSchema: JSONSchemaType<BoardProfile> = {
  type: 'object',
  additionalProperties: false,
  required: ['board', 'description', 'flash', 'display', 'leds', 'console', 'network', 'bootConfig', 'cmdline', 'trust', 'tmp'],
  properties: {
    board: { type: 'string', pattern: '^[a-z0-9-]+$' },
    description: { type: 'string' },
    flash: {
      type: 'object', additionalProperties: false, required: ['backend', 'path'],
      properties: {
        backend: { type: 'string', enum: ['dir', 'mtd', 'block'] },
        path,
        slots: { type: 'array', items: path, minItems: 2, maxItems: 2, nullable: true },
      },
    },
    display: {
      type: 'object', additionalProperties: false, required: ['backend'],
      properties: {
        backend: { type: 'string', enum: ['fbdev', 'ssd1306', 'terminal', 'png', 'none'] },
        device: { ...path, nullable: true },
        address: { type: 'integer', nullable: true, minimum: 0, maximum: 127 },
        path: { ...path, nullable: true },
      },
    },
    leds: {
      type: 'object', additionalProperties: false, required: ['backend'],
      properties: {
        backend: { type: 'string', enum: ['sysfs', 'gpio', 'terminal', 'none'] },
        path: { ...path, nullable: true },
        device: { ...path, nullable: true },
        line: { type: 'integer', nullable: true, minimum: 0 },
      },
    },
    console: {
      type: 'object', additionalProperties: false, required: ['device', 'baud'],
      properties: { device: path, baud: { type: 'integer', enum: [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] } },
    },
    network: { type: 'object', additionalProperties: false, required: ['interface'], properties: { interface: path } },
    bootConfig: path,
    cmdline: path,
    trust: path,
    tmp: path,
  },
};

const modelSchema: JSONSchemaType<ModelProfile> = {
  type: 'object',
  additionalProperties: false,
  required: ['model', 'description', 'loadPrefix', 'screen', 'leds', 'pfs'],
  properties: {
    model: { type: 'string', pattern: '^CP-[0-9A-Z-]+$' },
    description: { type: 'string' },
    loadPrefix: { type: 'string', pattern: '^[A-Za-z0-9]+$' },
    screen: {
      type: 'object', additionalProperties: false, required: ['width', 'height', 'depth', 'color'],
      properties: {
        width: { type: 'integer', minimum: 1, maximum: 4096 },
        height: { type: 'integer', minimum: 1, maximum: 4096 },
        depth: { type: 'integer', enum: [1, 2, 4, 8, 12, 16, 24, 32] },
        color: { type: 'boolean' },
      },
    },
    leds: { type: 'array', items: { type: 'string', minLength: 1 } },
    pfs: { type: 'boolean' },
    deviceType: { type: 'integer', nullable: true, minimum: 1 },
    aliases: { type: 'array', nullable: true, items: { type: 'string', minLength: 1 } },
    notes: { type: 'string', nullable: true },
  },
};

const ajv = new Ajv({ allErrors: false });
const checkBoard = ajv.compile(boardSchema);
const checkModel = ajv.compile(modelSchema);

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

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
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
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).sort();
  } catch (e) {
    throw new ProfileError(`${dir}: cannot read the folder (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

/**
 * Reads and checks `<boardsDir>/<name>.json`. `boardsDir` is the caller's choice
 * (beside the bundle on a flashed board, `boards/` in this repository).
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

/** Upper case, one space between words: how names are compared. */
export const normaliseModelName = (s: string): string => s.trim().replace(/\s+/g, ' ').toUpperCase();

/** Every name a profile answers to, normalised: CP-7961G, 7961G and its aliases. */
export function modelNames(m: ModelProfile): string[] {
  return [...new Set([m.model, m.model.replace(/^CP-/, ''), ...(m.aliases ?? [])].map(normaliseModelName))];
}

/** Does `name` (any case) name this model: its name, without `CP-`, or an alias? */
export function isModelName(m: ModelProfile, name: string): boolean {
  return modelNames(m).includes(normaliseModelName(name));
}

/**
 * A board file's path under the board's root folder: absolute paths too, so a Pi's
 * board file can run against a folder laid out like its root (tests, dry runs).
 * `-` (standard output) stays as it is.
 */
export function boardPath(root: string, p: string): string {
  return p === '-' ? p : join(root, p);
}
