import net from 'node:net';
import type { Logger } from '../../log/logger';
import { xid, type HierKey } from '../../dload/key';
import { decode, encode, STREAM_STATUS } from '../../dload/wire';
import type { ByteSink, Source } from './source';

const STREAM_RESPONSE_BYTES = 35;

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
  log: Logger;
}

/**
 * A parent's TCP stream as a pipeline source: StreamRequest out, StreamResponse in,
 * then the file's bytes from `fromOffset`, each chunk as the socket delivered it.
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
    const sock = net.connect({ host: o.addr, port: o.port, noDelay: true });
    this.sock = sock;
    sock.setKeepAlive(true, 5000);
    sock.write(encode({ type: 'StreamRequest', key: o.key, sender: o.nodeId, offset: o.fromOffset }));
    let header: Buffer | undefined = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      if (this.stopped) return;
      if (header) {
        // The header is 35 bytes once per connection; collecting it is not the data path.
        header = header.length === 0 ? chunk : Buffer.concat([header, chunk]);
        if (header.length < STREAM_RESPONSE_BYTES) return;
        const r = decode(header.subarray(0, STREAM_RESPONSE_BYTES));
        const rest = header.subarray(STREAM_RESPONSE_BYTES);
        header = undefined;
        if (r.type !== 'StreamResponse' || r.status !== STREAM_STATUS.OK || r.offset !== o.fromOffset || r.size !== o.size) {
          o.log.inf(`parent ${o.parentId.toString(16)} refused ${o.file}: ${r.type === 'StreamResponse' ? `status ${r.status}` : 'bad header'}`);
          sock.destroy();
          this.end(true);
          return;
        }
        if (rest.length === 0) return;
        chunk = rest;
      }
      if (!sink(chunk) && !this.stopped) sock.pause();
    });
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
