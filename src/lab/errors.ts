import { PfsError } from '../errors';

/**
 * `pfs lab` cannot run as asked (options, this machine), or a part of it failed
 * (a board, the origin's process): PFS_ERR_LAB, naming the board or process. In a
 * file of its own so the lab's parts can raise it without importing lab.ts.
 */
export class LabError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_LAB', message);
  }
}

/** The lab was stopped (Ctrl-C, SIGTERM, SIGHUP) before its boards finished. */
export class LabInterrupted extends LabError {
  constructor() {
    super('interrupted');
  }
}
