// The JSON schemas of boards/*.json and boards/models/*.json. Not loaded at run time:
// scripts/gen-profile-validators.mjs compiles them into validators.js (ajv standalone code)
// so a board does not compile a schema each time it starts. Change a schema, then run
// `npm run gen:profiles`; test/scripts/gen-profile-validators.test.ts fails until you do.
import type { JSONSchemaType } from 'ajv';
import type { BoardProfile, ModelProfile } from './types';

const path = { type: 'string', minLength: 1 } as const;

export const boardSchema: JSONSchemaType<BoardProfile> = {
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
        trials: { type: 'integer', minimum: 1, maximum: 100, nullable: true },
        trialSeconds: { type: 'integer', minimum: 1, maximum: 86_400, nullable: true },
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
    arch: { type: 'string', enum: ['x64', 'arm64', 'armv7l'], nullable: true },
    deviceTree: { type: 'array', nullable: true, items: { type: 'string', minLength: 1 } },
  },
};

export const modelSchema: JSONSchemaType<ModelProfile> = {
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
