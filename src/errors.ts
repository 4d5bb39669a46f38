/**
 * Base of every error the runtime raises on purpose. `code` is stable
 * (`PFS_ERR_*`) so scripts and tests can match on it instead of on wording.
 */
export class PfsError extends Error {
  constructor(
    readonly code: `PFS_ERR_${string}`,
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
