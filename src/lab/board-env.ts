// The environment a lab board process starts with. A board in the field runs under
// systemd (src/image/unit.ts), which hands it a clean environment; a lab board
// inherits whatever the shell that started the lab carries. Most of that is
// harmless, but some of it makes Node itself do work a board never does, and on a
// shared 2-core machine that work, times 32 boards starting together, is what the
// fleet's start-up and seconds measure.

import { BOARD_ENVIRONMENT } from '../boot/board-environment';

type Env = NodeJS.ProcessEnv;

/**
 * Variables dropped from a board's environment, each with what it costs:
 * - `NODE_EXTRA_CA_CERTS`: Node parses the whole bundle (the system's: 144 certificates here) into
 *   a root store at start-up, before any script runs: `node -e 0` took 0.09-0.10 s
 *   of CPU with it against about 0.05 s without, 4.3 % of a member board's CPU in a
 *   profile of the 32-board fleet. pfs speaks no TLS (its HTTP origin is plain: the
 *   load is signed, not secret), so a board has no use for it.
 */
export const NOT_FOR_BOARDS = ['NODE_EXTRA_CA_CERTS'] as const;

/**
 * A copy of `env` (the lab's own by default) without what a board would not be given,
 * and with what its unit gives it (BOARD_ENVIRONMENT, over the shell's).
 */
export function boardEnv(env: Env = process.env): Env {
  const out: Env = { ...env, ...BOARD_ENVIRONMENT };
  for (const name of NOT_FOR_BOARDS) delete out[name];
  return out;
}
