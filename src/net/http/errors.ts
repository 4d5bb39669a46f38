import { PfsError } from '../../errors';

/**
 * The errors of an HTTP range download. Every message starts with `HTTP HOST:PORT
 * "PATH"`, the server and the file, as the TFTP client's do.
 */

/** The server answered with an error status (404, 403, 5xx after every retry). */
export class HttpStatusError extends PfsError {
  constructor(
    where: string,
    readonly status: number,
    statusText: string,
  ) {
    super('PFS_ERR_HTTP_STATUS', `${where}: status ${status}${statusText ? ` (${statusText})` : ''}`);
  }
}

/** No byte for the time allowed, on every connection tried since the last byte. */
export class HttpTimeoutError extends PfsError {
  constructor(where: string, what: string) {
    super('PFS_ERR_HTTP_TIMEOUT', `${where}: ${what}`);
  }
}

/** Connections refused, reset or closed early, again and again without a new byte. */
export class HttpNetworkError extends PfsError {
  constructor(where: string, what: string, cause?: Error) {
    super('PFS_ERR_HTTP_NETWORK', `${where}: ${what}`, { cause });
  }
}

/** An answer that cannot be the file asked for (a range elsewhere, another size, too many bytes). */
export class HttpProtocolError extends PfsError {
  constructor(where: string, what: string) {
    super('PFS_ERR_HTTP_PROTOCOL', `${where}: ${what}`);
  }
}

/** The download was stopped by its caller. */
export class HttpAbortedError extends PfsError {
  constructor(where: string, reason?: unknown) {
    super('PFS_ERR_HTTP_ABORTED', `${where}: aborted${reason instanceof Error ? `: ${reason.message}` : ''}`, { cause: reason });
  }
}
