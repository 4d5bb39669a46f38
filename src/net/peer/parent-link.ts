import net from 'node:net';
import type { Logger } from '../../log/logger';
import { xid, type HierKey } from '../../dload/key';
import { decode, encode, STREAM_STATUS } from '../../dload/wire';
import type { ByteSink, Source } from './source';

const STREAM_RESPONSE_BYTES = 35;
/** What a parent sends past the file's end is read in pieces this large (and refused). */
const PAST_END_BYTES = 4096;
const EMPTY = Buffer.alloc(0);

export interface ParentLinkOptions {
  key: HierKey;
  file: string;
  /** This board's XID, sent in the StreamRequest. */
  nodeId: number;
  parentId: number;
  addr: string;
  port: number;
  /** Offset asked for (block-aligned: what this board holds verified). */
  fromOffset: number;
  /** The file's size: a parent that announces another is refused. */
  size: number;
  /** The plan's block size: each block is read into a buffer of its own. */
  blockSize: number;
  log: Logger;
}

/**
 * A parent's TCP stream as a pipeline source: StreamRequest out, StreamResponse in,
 * then the file's bytes from `fromOffset`. The socket reads straight into one buffer
 * per block (`onread`), never across a block's end: a block reaches the pipeline as
 * the views of its own buffer, which it hashes, writes to flash and sends to the
 * children as one piece. (A stream socket would allocate 64 KiB for every read,
 * shrink it to what came, and pass each through the stream machinery: at LAN rates
 * a read is a few segments, so a block came in dozens of pieces.)
 * `ended(refused)` reports the connection's end once (not after stop()): refused when
 * the parent answered with another status or a header that does not fit.
 */
export class ParentLink implements Source {
  readonly kind = 'parent';
  readonly label: string;
  readonly startsAt: number;
  private sock?: net.Socket;
  private stopped = false;
  private reported = false;

  constructor(
    private readonly o: ParentLinkOptions,
    private readonly ended: (refused: boolean) => void,
  ) {
    this.label = `parent ${xid(o.parentId)} at ${o.addr}:${o.port}`;
    this.startsAt = o.fromOffset;
  }

  start(sink: ByteSink): void {
    const o = this.o;
    // The header is read into a buffer of its own, so that no block shares one with it.
    const header = Buffer.allocUnsafe(STREAM_RESPONSE_BYTES);
    let headerFilled = 0;
    let block = EMPTY;
    let filled = 0;
    /** File offset where the current block's buffer starts. */
    let blockAt = o.fromOffset;
    const region = (): Buffer => {
      if (headerFilled < STREAM_RESPONSE_BYTES) return header.subarray(headerFilled);
      if (filled === block.length) {
        blockAt += block.length;
        // Past the end of the file a parent is wrong: the pipeline refuses what comes.
        block = Buffer.allocUnsafe(Math.min(o.blockSize, Math.max(0, o.size - blockAt)) || PAST_END_BYTES);
        filled = 0;
      }
      return block.subarray(filled);
    };
    const onBytes = (n: number, buf: Buffer): boolean => {
      if (this.stopped) return false;
      if (headerFilled < STREAM_RESPONSE_BYTES) {
        headerFilled += n;
        if (headerFilled < STREAM_RESPONSE_BYTES) return true;
        const r = decode(header);
        if (r.type !== 'StreamResponse' || r.status !== STREAM_STATUS.OK || r.offset !== o.fromOffset || r.size !== o.size) {
          o.log.inf(`parent ${o.parentId.toString(16)} refused ${o.file}: ${r.type === 'StreamResponse' ? `status ${r.status}` : 'bad header'}`);
          sock.destroy();
          this.end(true);
          return false;
        }
        return true;
      }
      filled += n;
      return sink(n === buf.length ? buf : buf.subarray(0, n)) || this.stopped;
    };
    const sock = net.connect({ host: o.addr, port: o.port, noDelay: true, onread: { buffer: region, callback: onBytes } });
    this.sock = sock;
    sock.setKeepAlive(true, 5000);
    sock.write(encode({ type: 'StreamRequest', key: o.key, sender: o.nodeId, offset: o.fromOffset }));
    sock.on('error', (e) => o.log.dbg(`${this.label} (${o.file}): ${e.message}`));
    sock.on('close', () => this.end(false));
  }

  resume(): void {
    this.sock?.resume();
  }

  stop(): void {
    this.stopped = true;
    this.sock?.destroy();
  }

  private end(refused: boolean): void {
    if (this.reported || this.stopped) return;
    this.reported = true;
    this.ended(refused);
  }
}
