import { PfsError } from '../../errors';

/** The peer sent an ERROR packet; `tftpCode` is the RFC 1350/2347 code. */
export class TftpRemoteError extends PfsError {
  constructor(
    readonly peer: string,
    readonly file: string,
    readonly tftpCode: number,
    readonly remoteMessage: string,
  ) {
    super('PFS_ERR_TFTP_REMOTE', `TFTP ${peer} refused "${file}": error ${tftpCode} (${remoteMessage || 'no message'})`);
  }
}

/** No answer after every retransmission, or the whole transfer ran past its deadline. */
export class TftpTimeoutError extends PfsError {
  constructor(peer: string, file: string, what: string) {
    super('PFS_ERR_TFTP_TIMEOUT', `TFTP ${peer} "${file}": ${what}`);
  }
}

/** The peer broke the protocol (bad OACK, impossible block number, malformed packet). */
export class TftpProtocolError extends PfsError {
  constructor(peer: string, file: string, what: string) {
    super('PFS_ERR_TFTP_PROTOCOL', `TFTP ${peer} "${file}": ${what}`);
  }
}

/** The transfer was stopped by its caller. */
export class TftpAbortedError extends PfsError {
  constructor(peer: string, file: string, reason?: unknown) {
    super('PFS_ERR_TFTP_ABORTED', `TFTP ${peer} "${file}": aborted${reason instanceof Error ? `: ${reason.message}` : ''}`, { cause: reason });
  }
}

/** The received file could not be written where it was asked to go. */
export class TftpOutputError extends PfsError {
  constructor(path: string, cause: Error) {
    super('PFS_ERR_OUTPUT', `cannot write ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause.message}`, { cause });
  }
}

/** A client option out of range (port, blksize, windowsize): refused before anything is sent. */
export class TftpOptionError extends PfsError {
  constructor(peer: string, file: string, what: string) {
    super('PFS_ERR_TFTP_OPTION', `TFTP ${peer} "${file}": ${what}`);
  }
}

/**
 * The socket could not be used: the host name did not resolve, the port could not
 * be bound, the network refused a datagram. `cause` is the system's error.
 */
export class TftpNetworkError extends PfsError {
  constructor(peer: string, what: string, cause: Error) {
    super('PFS_ERR_TFTP_NETWORK', `TFTP ${peer}${what ? ` ${what}` : ''}: ${cause.message}`, { cause });
  }
}
