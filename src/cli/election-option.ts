// The --election option of pfs boot, pfs lab and pfs sim, parsed in one place.
import { UsageError } from '../errors';
import { ELECTIONS, type Election } from '../dload/types';

/**
 * `--election fast|phone` (undefined: not given, the engine's default, fast).
 * Throws UsageError naming the option for anything else.
 */
export function electionOption(value: string | undefined): Election | undefined {
  if (value === undefined) return undefined;
  if (!(ELECTIONS as readonly string[]).includes(value)) throw new UsageError(`--election must be ${ELECTIONS.join(' or ')}, got "${value}"`);
  return value as Election;
}
