// The fixed views the reference screens are drawn from, and small helpers.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelProfile } from '../../../src/profiles';
import type { ComponentView, UpgradeView } from '../../../src/hal/view';

const repo = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', '..');

export function screenOf(model: string): ModelProfile['screen'] {
  return (JSON.parse(readFileSync(join(repo, 'boards', 'models', `${model}.json`), 'utf8')) as ModelProfile).screen;
}

/** Every model file in boards/models: a model added there is drawn by the layout tests without more ado. */
export function allModels(): string[] {
  return readdirSync(join(repo, 'boards', 'models'))
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.slice(0, -5))
    .sort();
}

const comp = (name: string, size: number, bytes: number, state: ComponentView['state'], role: ComponentView['role'], children = 0): ComponentView =>
  ({ name, size, bytes, state, role, children });

/** Mid-upgrade, one component in each state, every role. */
export function upgradeView(model = 'CP-7961G', prefix = 'SCCP41', n = '41'): UpgradeView {
  const load = `${prefix}.9-4-2SR2-2S`;
  const f = (base: string) => `${base}${n}.9-4-2SR2-2S.sbn`;
  return {
    model,
    running: `${prefix}.9-3-1SR1-1S`,
    target: load,
    phase: 'upgrading',
    pfs: true,
    components: [
      comp(f('apps'), 2_621_440, 2_621_440, 'done', 'root', 2),
      comp(f('cnu'), 1_048_576, 1_048_576, 'verifying', 'parent', 1),
      comp(f('cvm'), 3_145_728, 1_572_864, 'downloading', 'child'),
      comp(f('dsp'), 524_288, 0, 'waiting', 'tftp'),
      comp(f('jar'), 1_048_576, 0, 'waiting', 'child'),
    ],
  };
}

export function errorView(model = 'CP-7961G'): UpgradeView {
  return {
    ...upgradeView(model),
    phase: 'error',
    pfs: false,
    error: 'apps41.9-4-2SR2-2S.sbn: the signature does not verify against the trust list',
  };
}
