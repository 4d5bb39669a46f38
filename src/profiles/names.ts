import type { ModelProfile } from './types';

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
