import type { ErrorCode } from './error-codes';

export { ERROR_CODES, exitCodeOf, isErrorCode, type ErrorCode, type ErrorCodeInfo } from './error-codes';

/**
 * Base of every error the runtime raises on purpose. `code` is stable
 * (`PFS_ERR_*`) so scripts and tests can match on it instead of on wording; it
 * must be registered in src/error-codes.ts (with its meaning and exit code), or
 * this does not compile. The message names the device, file or peer.
 */
export class PfsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line input: printed with the usage line, exit code 2. */
export class UsageError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_USAGE', message);
  }
}
