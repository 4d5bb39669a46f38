import { PfsError } from '../errors';
import { isModelName, type ModelProfile } from '../profiles';

/** No phone model selected, or one no profile answers to. Such a board joins no hierarchy. */
export class ModelSelectionError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_MODEL', message);
  }
}

/** Where the selected model came from, as the boot log names it. */
export type ModelSource = '--model' | 'kernel command line' | 'pfs.txt';

const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1').trim();

/**
 * The `key=value` lines of a boot configuration file (pfs.txt). `#` starts a
 * comment, keys are lower-cased, values trimmed and unquoted; a later line wins.
 * Lines without `=` are ignored.
 */
export function parseBootConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq).trim().toLowerCase(), unquote(line.slice(eq + 1)));
  }
  return out;
}

/**
 * The value of the last `pfs.model=` word of a kernel command line (the kernel's
 * rule: the last one wins). Double quotes group words, as the kernel reads them:
 * `pfs.model="Cisco 7961"`.
 */
export function cmdlineModel(cmdline: string): string | undefined {
  let found: string | undefined;
  for (const word of cmdline.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []) {
    const w = word.replace(/"/g, '');
    if (w.startsWith('pfs.model=')) found = w.slice('pfs.model='.length).trim();
  }
  return found;
}

/**
 * The phone model this board is, chosen at boot. First found wins:
 *   1. `cli`: `--model` on pfs's command line;
 *   2. `cmdline`: the text of /proc/cmdline, its `pfs.model=` word;
 *   3. `bootConfig`: the text of pfs.txt, its `model=` line.
 * An empty value counts as not given. A name matches a profile by its model name,
 * the name without `CP-`, or one of its `aliases` (`7961`, `Cisco 7961`), in any
 * case. Throws ModelSelectionError (PFS_ERR_MODEL) naming the valid models when
 * nothing is selected or the name is unknown; the selection is not retried lower
 * down the list, as a typo in `--model` must not silently pick pfs.txt's model.
 */
export function selectModel(
  from: { cli?: string; cmdline?: string; bootConfig?: string },
  models: ReadonlyMap<string, ModelProfile>,
): { profile: ModelProfile; source: ModelSource } {
  const valid = [...models.keys()].sort().join(', ');
  const candidates: [ModelSource, string | undefined][] = [
    ['--model', from.cli === undefined ? undefined : unquote(from.cli)],
    ['kernel command line', from.cmdline === undefined ? undefined : cmdlineModel(from.cmdline)],
    ['pfs.txt', from.bootConfig === undefined ? undefined : parseBootConfig(from.bootConfig).get('model')],
  ];
  const chosen = candidates.find(([, v]) => v !== undefined && v !== '');
  if (!chosen) {
    throw new ModelSelectionError(`no phone model selected: set pfs.model= on the kernel command line, model= in pfs.txt, or --model; valid models: ${valid}`);
  }
  const [source, name] = chosen;
  const profile = [...models.values()].find((m) => isModelName(m, name!));
  if (!profile) throw new ModelSelectionError(`unknown model "${name}" (from ${source}): valid models: ${valid}`);
  return { profile, source };
}
