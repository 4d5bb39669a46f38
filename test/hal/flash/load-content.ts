import { seededBytes } from '../../../src/lab/firmware';

export const COMPONENTS = ['apps41.sbn', 'cnu41.sbn', 'dsp41.sbn'];

/** What component `name` of load `load` holds: the checker knows it without being told. */
export function loadContent(load: string, name: string): Buffer {
  const n = Number(load.slice(1));
  return seededBytes(`${load}/${name}`, 200_000 + (n % 7) * 10_000);
}
