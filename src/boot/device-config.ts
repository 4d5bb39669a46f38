import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PfsError } from '../errors';
import type { ModelProfile } from './profiles';
import type { UpgradeConfig } from './upgrade';

export class ConfigError extends PfsError {
  constructor(source: string, reason: string) {
    super('PFS_ERR_CONFIG', `${source}: ${reason}`);
  }
}

export type PfsSource = 'device' | 'common phone profile' | 'enterprise' | 'default';

/** What a board takes from its configuration file (see docs/CONFIG.md). */
export interface DeviceConfig extends UpgradeConfig {
  loadName?: string;
  peerFirmwareSharing: boolean;
  pfsSource: PfsSource;
  manifest?: { load: string; size: number; sha256: string };
  /** `<loadServer>`: where loads come from, when not the configuration's server. */
  loadServer?: string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => name === 'pfsLoad' || name.startsWith('loadInformation'),
});

type Node = Record<string, unknown>;

const text = (v: unknown): string | undefined => {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Node)['#text'] === 'string') return (v as Node)['#text'] as string;
  return undefined;
};

/** Enabled / Disabled as CUCM and hand-written files spell them. */
function flag(v: unknown, where: string, source: string): boolean | undefined {
  const t = text(v)?.trim().toLowerCase();
  if (t === undefined || t === '') return undefined;
  if (['1', 'true', 'enabled', 'enable', 'on', 'yes'].includes(t)) return true;
  if (['0', 'false', 'disabled', 'disable', 'off', 'no'].includes(t)) return false;
  throw new ConfigError(source, `${where} must be Enabled or Disabled (or 1/0), got "${t}"`);
}

/** Does a `model` attribute ("CP-7961G", or CUCM's "Cisco 7961") name this model? */
function sameModel(attr: unknown, model: ModelProfile): boolean {
  if (typeof attr !== 'string') return false;
  const a = attr.trim().toUpperCase();
  const m = model.model.toUpperCase();
  if (a === m) return true;
  const number = /(\d{4})/.exec(m)?.[1];
  return number !== undefined && (a === `CISCO ${number}` || a === `CISCO IP PHONE ${number}` || a === m.replace(/^CP-/, ''));
}

/**
 * Reads a CUCM-style configuration (`SEP<MAC>.cnf.xml` or `XMLDefault.cnf.xml`).
 * The load is the device's own `<loadInformation>`, else the one whose `model`
 * attribute names this model. Peer Firmware Sharing is the device's setting, else
 * the common phone profile's, else the enterprise's; disabled if none says.
 */
export function parseDeviceConfig(xml: string, model: ModelProfile, source: string): DeviceConfig {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new ConfigError(source, `malformed XML at line ${valid.err.line}: ${valid.err.msg}`);
  const doc = parser.parse(xml) as Node;
  const rootName = ['device', 'Default'].find((n) => n in doc);
  if (!rootName) throw new ConfigError(source, 'no <device> or <Default> element');
  const root = (doc[rootName] ?? {}) as Node;

  let loadName: string | undefined;
  for (const [name, value] of Object.entries(root)) {
    if (!/^loadInformation\d*$/.test(name)) continue;
    for (const item of value as unknown[]) {
      const attr = item && typeof item === 'object' ? (item as Node)['@model'] : undefined;
      const t = text(item)?.trim();
      if (!t) continue;
      // A device file's plain <loadInformation> is its own; a default file's is per model.
      if (attr === undefined ? rootName === 'device' : sameModel(attr, model)) loadName ??= t;
    }
  }

  const levels: [PfsSource, unknown, string][] = [
    ['device', (root.vendorConfig as Node | undefined)?.peerFirmwareSharing, '<device><vendorConfig><peerFirmwareSharing>'],
    ['common phone profile', (root.commonProfile as Node | undefined)?.peerFirmwareSharing, '<commonProfile><peerFirmwareSharing>'],
    ['enterprise', (root.enterpriseConfig as Node | undefined)?.peerFirmwareSharing, '<enterpriseConfig><peerFirmwareSharing>'],
  ];
  let peerFirmwareSharing = false;
  let pfsSource: PfsSource = 'default';
  for (const [level, value, where] of levels) {
    const v = flag(value, where, source);
    if (v !== undefined) {
      peerFirmwareSharing = v;
      pfsSource = level;
      break;
    }
  }

  let manifest: DeviceConfig['manifest'];
  for (const item of (root.pfsLoad as Node[] | undefined) ?? []) {
    if (!sameModel(item['@model'], model)) continue;
    const load = text(item)?.trim();
    const size = Number(item['@size']);
    const sha256 = String(item['@sha256'] ?? '').toLowerCase();
    if (!load || !Number.isSafeInteger(size) || size <= 0 || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new ConfigError(source, `<pfsLoad model="${String(item['@model'])}"> needs a load name, size="BYTES" and sha256="64 hex digits"`);
    }
    manifest = { load, size, sha256 };
  }
  return { loadName, peerFirmwareSharing, pfsSource, manifest, loadServer: text(root.loadServer)?.trim() || undefined };
}
