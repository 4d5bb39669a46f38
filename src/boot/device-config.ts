import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PfsError } from '../errors';
import { isModelName, type ModelProfile } from '../profiles';
import { isPlainName } from '../loads/validate';
import { httpBaseUrl } from '../net/http/load-server';

/**
 * A configuration file the board cannot use: malformed XML, or without what the
 * board needs. The message starts with the file. The caller logs it, keeps the
 * current load and tries again with back-off.
 */
export class ConfigError extends PfsError {
  constructor(
    readonly source: string,
    readonly reason: string,
  ) {
    super('PFS_ERR_CONFIG', `${source}: ${reason}`);
  }
}

/** Which level of the configuration decided Peer Firmware Sharing. */
export type PfsSource = 'device' | 'commonProfile' | 'enterprise' | 'default';

/** How a log line names each level: `Peer Firmware Sharing enabled (common phone profile setting)`. */
export const PFS_SOURCE_TEXT: Readonly<Record<PfsSource, string>> = {
  device: 'device',
  commonProfile: 'common phone profile',
  enterprise: 'enterprise',
  default: 'default',
};

/** What a board takes from its configuration file. Layout: docs/CONFIG.md. */
export interface DeviceConfig {
  /** The load this board's model should run (`<loadInformation>`). Always present: a file without one is a ConfigError. */
  loadName: string;
  /**
   * Where to fetch the load from, in order (`<vendorConfig><loadServer>`, port 69
   * unless given). Empty: from the TFTP server the configuration came from.
   */
  tftpServers: { host: string; port: number }[];
  /**
   * The HTTP load server (`<vendorConfig><loadServerHttp>`), as a base URL ending in `/`:
   * the root takes files from it by range requests, TFTP only if it fails.
   */
  httpServer?: string;
  /** Peer Firmware Sharing, resolved device > common phone profile > enterprise; off by default. */
  peerFirmwareSharing: boolean;
  /** The level that decided `peerFirmwareSharing`. */
  pfsSource: PfsSource;
  /**
   * `<pfsLoad>` for this model: the signed `.loads` manifest's load name, size in bytes
   * and SHA-256 (lower-case hex); with `files="…"`, the component names it lists (a
   * hint, so the root can open their transfers with the manifest's; the manifest decides).
   */
  manifest?: { load: string; size: number; sha256: string; files?: string[] };
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => name === 'pfsLoad' || /^loadInformation\d*$/.test(name),
});

type Node = Record<string, unknown>;

const text = (v: unknown): string | undefined => {
  if (typeof v === 'string') return v.trim();
  if (v !== null && typeof v === 'object' && typeof (v as Node)['#text'] === 'string') return ((v as Node)['#text'] as string).trim();
  return undefined;
};

/** Element values accepted for a flag, lower-cased. */
const TRUE = ['1', 'true', 'enabled', 'enable', 'on', 'yes'];
const FALSE = ['0', 'false', 'disabled', 'disable', 'off', 'no'];

/**
 * A single child element: undefined when absent, an error when repeated (two
 * settings at one level would make the result depend on which one we read).
 */
function child(parent: unknown, name: string, where: string, source: string): unknown {
  if (parent === null || typeof parent !== 'object') return undefined;
  const v = (parent as Node)[name];
  if (Array.isArray(v)) throw new ConfigError(source, `${where}<${name}> appears ${v.length} times`);
  return v;
}

/** Enabled / Disabled as CUCM and hand-written files spell them; undefined when absent or empty. */
function flag(v: unknown, where: string, source: string): boolean | undefined {
  if (v !== undefined && v !== null && typeof v === 'object' && !('#text' in (v as Node))) {
    throw new ConfigError(source, `${where} must be a value, not elements`);
  }
  const t = text(v)?.toLowerCase();
  if (t === undefined || t === '') return undefined;
  if (TRUE.includes(t)) return true;
  if (FALSE.includes(t)) return false;
  throw new ConfigError(source, `${where} must be one of 1, 0, true, false, Enabled, Disabled (got "${text(v)}")`);
}

/** One level's setting: `<level><vendorConfig><peerFirmwareSharing>`, or the short `<level><peerFirmwareSharing>`. */
function levelSetting(level: unknown, path: string, source: string): boolean | undefined {
  const vendorWhere = `${path}<vendorConfig>`;
  const long = flag(child(child(level, 'vendorConfig', path, source), 'peerFirmwareSharing', vendorWhere, source), `${vendorWhere}<peerFirmwareSharing>`, source);
  const short = flag(child(level, 'peerFirmwareSharing', path, source), `${path}<peerFirmwareSharing>`, source);
  if (long !== undefined && short !== undefined && long !== short) {
    throw new ConfigError(source, `${path} sets peerFirmwareSharing twice, differently (in <vendorConfig> and directly)`);
  }
  return long ?? short;
}

/** `HOST`, `HOST:PORT`, `[V6]:PORT` or a bare IPv6 address; port 69 unless given. */
function hostPort(item: string, where: string, source: string): { host: string; port: number } {
  let host: string | undefined;
  let port = '69';
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(item);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(item);
  if (bracketed) [host, port = '69'] = [bracketed[1], bracketed[2]];
  else if (plain) [host, port = '69'] = [plain[1], plain[2]];
  else if (/^[0-9a-fA-F:.]+$/.test(item) && item.includes('::')) host = item;
  const n = Number(port);
  if (!host || !Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(source, `${where} must be HOST or HOST:PORT (got "${item}")`);
  return { host, port: n };
}

/** Does a `loadInformation<N>` / `pfsLoad` entry name this model (by its `model` attribute or CUCM's device type N)? */
function entryIsFor(model: ModelProfile, attr: unknown, deviceType: string): boolean {
  if (typeof attr === 'string' && isModelName(model, attr)) return true;
  return deviceType !== '' && model.deviceType !== undefined && Number(deviceType) === model.deviceType;
}

function findLoad(root: Node, rootName: string, model: ModelProfile, source: string): string {
  const found: string[] = [];
  const seen: string[] = [];
  for (const [name, value] of Object.entries(root)) {
    const m = /^loadInformation(\d*)$/.exec(name);
    if (!m) continue;
    for (const item of value as unknown[]) {
      const attr = item !== null && typeof item === 'object' ? (item as Node)['@model'] : undefined;
      const load = text(item);
      if (!load) continue;
      // A device file's plain <loadInformation> is the device's own; anywhere else an entry names its model.
      const own = rootName === 'device' && attr === undefined && m[1] === '';
      if (own || entryIsFor(model, attr, m[1]!)) found.push(load);
      else seen.push(`${typeof attr === 'string' ? attr : name} (${load})`);
    }
  }
  const loads = [...new Set(found)];
  if (loads.length > 1) throw new ConfigError(source, `names ${loads.length} different loads for ${model.model}: ${loads.join(', ')}`);
  if (loads.length === 0) {
    throw new ConfigError(source, `no load for ${model.model}: ${seen.length ? `its <loadInformation> entries are for ${seen.join(', ')}` : 'no <loadInformation> element with a load name'}`);
  }
  return plainLoadName(loads[0]!, '<loadInformation>', source);
}

/**
 * A load name comes from the network and becomes file names (`<load>.loads`, the
 * slot's install mark): it is checked here, once, with the manifest's own check
 * (src/loads/validate.ts), before anything is fetched or opened.
 */
function plainLoadName(load: string, where: string, source: string): string {
  if (!isPlainName(load)) throw new ConfigError(source, `${where} names the load ${JSON.stringify(String(load).slice(0, 80))}: a load name is a plain name (letters, digits, . _ + -), never a path`);
  return load;
}

/** `files="a.sbn b.sbn"`: the component names a `<pfsLoad>` says its manifest lists (at most 64, plain names). */
function componentNames(attr: unknown, where: string, source: string): string[] | undefined {
  if (attr === undefined) return undefined;
  const names = String(attr).split(/[\s,]+/).filter(Boolean);
  if (names.length === 0 || names.length > 64) throw new ConfigError(source, `${where} files must name 1 to 64 components (got ${names.length})`);
  const bad = names.find((n): boolean => !isPlainName(n));
  if (bad !== undefined) throw new ConfigError(source, `${where} files names ${JSON.stringify(bad.slice(0, 80))}: a component name is a plain name (letters, digits, . _ + -), never a path`);
  return names;
}

function findManifest(root: Node, rootName: string, model: ModelProfile, source: string): DeviceConfig['manifest'] {
  const found = new Map<string, NonNullable<DeviceConfig['manifest']>>();
  for (const item of (root.pfsLoad as unknown[] | undefined) ?? []) {
    const node = (item !== null && typeof item === 'object' ? item : { '#text': item }) as Node;
    const attr = node['@model'];
    if (attr === undefined && rootName !== 'device') throw new ConfigError(source, '<pfsLoad> needs a model="…" attribute in a default file');
    if (attr !== undefined && !entryIsFor(model, attr, '')) continue;
    const where = `<pfsLoad${attr === undefined ? '' : ` model="${String(attr)}"`}>`;
    const load = text(node);
    const size = String(node['@size'] ?? '').trim();
    const sha256 = String(node['@sha256'] ?? '').trim().toLowerCase();
    if (!load) throw new ConfigError(source, `${where} needs the load name as its text`);
    plainLoadName(load, where, source);
    if (!/^\d+$/.test(size) || !Number.isSafeInteger(Number(size)) || Number(size) <= 0) throw new ConfigError(source, `${where} size must be the manifest's size in bytes (got "${size}")`);
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ConfigError(source, `${where} sha256 must be 64 hex digits (got "${sha256}")`);
    const files = componentNames(node['@files'], where, source);
    found.set(`${load} ${size} ${sha256}`, { load, size: Number(size), sha256, ...(files ? { files } : {}) });
  }
  if (found.size > 1) throw new ConfigError(source, `has ${found.size} different <pfsLoad> elements for ${model.model}`);
  return [...found.values()][0];
}

/**
 * Reads a CUCM-style configuration, `SEP<MAC>.cnf.xml` (root `<device>`) or
 * `XMLDefault.cnf.xml` (root `<Default>`), for a board of `model`. `source` names
 * the file in errors. The layout is in docs/CONFIG.md:
 * - load: a `<device>` file's own `<loadInformation>`, or the `<loadInformation…>`
 *   entry whose `model` attribute names this model (`CP-7961G`, `Cisco 7961`, an
 *   alias) or whose CUCM device type number is this model's (`<loadInformation30018>`);
 * - Peer Firmware Sharing: `<vendorConfig><peerFirmwareSharing>` (the device),
 *   else `<commonProfile>`'s, else `<enterpriseConfig>`'s; disabled if none says;
 * - load servers: `<vendorConfig><loadServer>`; the HTTP one `<vendorConfig><loadServerHttp>`;
 * - manifest digest: `<pfsLoad model="…" size="…" sha256="…">LOAD</pfsLoad>`.
 * Throws ConfigError (PFS_ERR_CONFIG) for malformed XML, an unknown root element,
 * no load (or two different ones) for the model, a flag or `<pfsLoad>` that does
 * not parse, or a setting given twice at one level.
 */
export function parseDeviceConfig(xml: string, model: ModelProfile, source: string): DeviceConfig {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new ConfigError(source, `malformed XML at line ${valid.err.line}${valid.err.col ? `, column ${valid.err.col}` : ''}: ${valid.err.msg}`);
  const doc = parser.parse(xml) as Node;
  const elements = Object.keys(doc).filter((k) => !k.startsWith('?'));
  if (elements.length !== 1 || (elements[0] !== 'device' && elements[0] !== 'Default')) {
    throw new ConfigError(source, `the root element must be <device> or <Default> (got ${elements.map((e) => `<${e}>`).join(', ') || 'none'})`);
  }
  const rootName = elements[0];
  if (Array.isArray(doc[rootName])) throw new ConfigError(source, `more than one <${rootName}> element`);
  const root = (doc[rootName] !== null && typeof doc[rootName] === 'object' ? doc[rootName] : {}) as Node;
  const top = `<${rootName}>`;

  const loadName = findLoad(root, rootName, model, source);

  // The device level is the file's own <vendorConfig>; the other levels carry theirs inside their element.
  const vendorConfig = child(root, 'vendorConfig', top, source);
  const levels: [PfsSource, boolean | undefined][] = [
    ['device', flag(child(vendorConfig, 'peerFirmwareSharing', `${top}<vendorConfig>`, source), `${top}<vendorConfig><peerFirmwareSharing>`, source)],
    ['commonProfile', levelSetting(child(root, 'commonProfile', top, source), `${top}<commonProfile>`, source)],
    ['enterprise', levelSetting(child(root, 'enterpriseConfig', top, source), `${top}<enterpriseConfig>`, source)],
  ];
  const [pfsSource, peerFirmwareSharing] = levels.find(([, v]) => v !== undefined) ?? ['default', false];

  const servers = text(child(vendorConfig, 'loadServer', `${top}<vendorConfig>`, source)) ?? '';
  const tftpServers = servers
    .split(/[\s,;]+/)
    .filter((s) => s !== '')
    .map((s) => hostPort(s, `${top}<vendorConfig><loadServer>`, source));

  const httpWhere = `${top}<vendorConfig><loadServerHttp>`;
  const httpText = text(child(vendorConfig, 'loadServerHttp', `${top}<vendorConfig>`, source)) ?? '';
  const httpServer = httpText === '' ? undefined : httpBaseUrl(httpText);
  if (httpText !== '' && !httpServer) throw new ConfigError(source, `${httpWhere} must be http://HOST[:PORT][/PATH] or HOST[:PORT] (got "${httpText}")`);

  return { loadName, tftpServers, ...(httpServer ? { httpServer } : {}), peerFirmwareSharing: peerFirmwareSharing!, pfsSource, manifest: findManifest(root, rootName, model, source) };
}
