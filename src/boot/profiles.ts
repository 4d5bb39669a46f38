import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type JSONSchemaType } from 'ajv';
import { PfsError } from '../errors';

/** A board's hardware: which HAL back-end drives each part, and where things live. */
export interface BoardProfile {
  board: string;
  description: string;
  flash: { backend: 'dir' | 'mtd' | 'block'; path: string };
  display: { backend: 'fbdev' | 'ssd1306' | 'terminal' | 'png' | 'none'; device?: string; address?: number };
  leds: { backend: 'sysfs' | 'gpio' | 'terminal' | 'none'; path?: string };
  /** Serial console device ("-" for standard output) and its speed. */
  console: { device: string; baud: number };
  network: { interface: string };
  /** The boot configuration file (pfs.txt), the kernel command line, the trust folder, scratch space. */
  bootConfig: string;
  cmdline: string;
  trust: string;
  tmp: string;
}

/** A phone model as the phone reports it, and what that model can do. */
export interface ModelProfile {
  model: string;
  description: string;
  /** Prefix of this model's load names, e.g. SCCP41 for the 7941/7961. */
  loadPrefix: string;
  screen: { width: number; height: number; depth: number; color: boolean };
  leds: string[];
  /** Whether the model takes part in Peer Firmware Sharing (the 7940/7960 do not). */
  pfs: boolean;
}

export class ProfileError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_PROFILE', message);
  }
}

const boardSchema: JSONSchemaType<BoardProfile> = {
  type: 'object',
  additionalProperties: false,
  required: ['board', 'description', 'flash', 'display', 'leds', 'console', 'network', 'bootConfig', 'cmdline', 'trust', 'tmp'],
  properties: {
    board: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    flash: {
      type: 'object', additionalProperties: false, required: ['backend', 'path'],
      properties: { backend: { type: 'string', enum: ['dir', 'mtd', 'block'] }, path: { type: 'string', minLength: 1 } },
    },
    display: {
      type: 'object', additionalProperties: false, required: ['backend'],
      properties: {
        backend: { type: 'string', enum: ['fbdev', 'ssd1306', 'terminal', 'png', 'none'] },
        device: { type: 'string', nullable: true },
        address: { type: 'integer', nullable: true, minimum: 0, maximum: 127 },
      },
    },
    leds: {
      type: 'object', additionalProperties: false, required: ['backend'],
      properties: { backend: { type: 'string', enum: ['sysfs', 'gpio', 'terminal', 'none'] }, path: { type: 'string', nullable: true } },
    },
    console: {
      type: 'object', additionalProperties: false, required: ['device', 'baud'],
      properties: { device: { type: 'string', minLength: 1 }, baud: { type: 'integer', enum: [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] } },
    },
    network: { type: 'object', additionalProperties: false, required: ['interface'], properties: { interface: { type: 'string', minLength: 1 } } },
    bootConfig: { type: 'string', minLength: 1 },
    cmdline: { type: 'string', minLength: 1 },
    trust: { type: 'string', minLength: 1 },
    tmp: { type: 'string', minLength: 1 },
  },
};

const modelSchema: JSONSchemaType<ModelProfile> = {
  type: 'object',
  additionalProperties: false,
  required: ['model', 'description', 'loadPrefix', 'screen', 'leds', 'pfs'],
  properties: {
    model: { type: 'string', pattern: '^CP-[0-9A-Z-]+$' },
    description: { type: 'string' },
    loadPrefix: { type: 'string', minLength: 1 },
    screen: {
      type: 'object', additionalProperties: false, required: ['width', 'height', 'depth', 'color'],
      properties: {
        width: { type: 'integer', minimum: 1, maximum: 4096 },
        height: { type: 'integer', minimum: 1, maximum: 4096 },
        depth: { type: 'integer', enum: [1, 2, 4, 8, 12, 16, 24, 32] },
        color: { type: 'boolean' },
      },
    },
    leds: { type: 'array', items: { type: 'string' } },
    pfs: { type: 'boolean' },
  },
};

const ajv = new Ajv({ allErrors: false });
const checkBoard = ajv.compile(boardSchema);
const checkModel = ajv.compile(modelSchema);

/** `file: /field must ... (got ...)` from ajv's first complaint. */
function describe(file: string, e: ErrorObject, data: unknown): string {
  const at = e.instancePath || '/';
  let got: unknown = data;
  for (const part of e.instancePath.split('/').slice(1)) got = (got as Record<string, unknown> | undefined)?.[part];
  const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
  const allowed = e.keyword === 'enum' ? ` ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : '';
  const shown = e.keyword === 'required' || e.keyword === 'additionalProperties' ? '' : ` (got ${JSON.stringify(got)})`;
  return `${file}: ${at} ${e.message}${allowed}${extra}${shown}`;
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

/** Reads and checks `boards/<name>.json`. */
export async function loadBoard(boardsDir: string, name: string): Promise<BoardProfile> {
  const available = (await readdir(boardsDir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).sort();
  if (!/^[a-z0-9-]+$/.test(name) || !available.includes(name)) {
    throw new ProfileError(`unknown board "${name}": boards in ${boardsDir} are ${available.join(', ') || '(none)'}`);
  }
  const file = join(boardsDir, `${name}.json`);
  const data = await readJson(file);
  if (!checkBoard(data)) throw new ProfileError(describe(file, checkBoard.errors![0]!, data));
  if (data.board !== name) throw new ProfileError(`${file}: /board must be "${name}" (got ${JSON.stringify(data.board)})`);
  return data;
}

/** Reads and checks every `boards/models/*.json`, by model name. */
export async function loadModels(boardsDir: string): Promise<Map<string, ModelProfile>> {
  const dir = join(boardsDir, 'models');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const out = new Map<string, ModelProfile>();
  for (const n of names) {
    const file = join(dir, n);
    const data = await readJson(file);
    if (!checkModel(data)) throw new ProfileError(describe(file, checkModel.errors![0]!, data));
    if (`${data.model}.json` !== n) throw new ProfileError(`${file}: /model must match the file name (got ${JSON.stringify(data.model)})`);
    out.set(data.model, data);
  }
  if (out.size === 0) throw new ProfileError(`no model profiles in ${dir}`);
  return out;
}
