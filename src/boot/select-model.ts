import { PfsError } from '../errors';
import type { ModelProfile } from './profiles';

export class ModelSelectionError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_MODEL', message);
  }
}

export type ModelSource = '--model' | 'kernel command line' | 'pfs.txt';

/** `key=value` lines of a boot configuration file (pfs.txt); `#` starts a comment. */
export function parseBootConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return out;
}

/** The `pfs.model=` word of a kernel command line. */
export function cmdlineModel(cmdline: string): string | undefined {
  for (const word of cmdline.trim().split(/\s+/)) if (word.startsWith('pfs.model=')) return word.slice('pfs.model='.length);
  return undefined;
}

/**
 * The phone model this board is, chosen at boot. Precedence: `--model` on the
 * command line, then `pfs.model=` on the kernel command line, then `model=` in
 * pfs.txt. Names match without regard to case. No choice, or an unknown one, is
 * an error that names the valid models: such a board joins no hierarchy.
 */
export function selectModel(
  from: { cli?: string; cmdline?: string; bootConfig?: string },
  models: ReadonlyMap<string, ModelProfile>,
): { profile: ModelProfile; source: ModelSource } {
  const valid = [...models.keys()].sort().join(', ');
  const candidates: [ModelSource, string | undefined][] = [
    ['--model', from.cli],
    ['kernel command line', from.cmdline === undefined ? undefined : cmdlineModel(from.cmdline)],
    ['pfs.txt', from.bootConfig === undefined ? undefined : parseBootConfig(from.bootConfig).get('model')],
  ];
  const chosen = candidates.find(([, v]) => v !== undefined && v !== '');
  if (!chosen) {
    throw new ModelSelectionError(`no phone model selected: set pfs.model= on the kernel command line, model= in pfs.txt, or --model; valid models: ${valid}`);
  }
  const [source, name] = chosen;
  const profile = [...models.values()].find((m) => m.model.toUpperCase() === name!.toUpperCase());
  if (!profile) throw new ModelSelectionError(`unknown model "${name}" (from ${source}): valid models: ${valid}`);
  return { profile, source };
}
