import type { Socket } from 'node:net';
import type { Logger } from '../../log/logger';
import { PfsError } from '../../errors';
import type { Spool } from './spool';

/** Bytes queued in a child's socket before it stops getting the live stream. */
const LIVE_LIMIT = 1 << 20;
/** Catch-up reads from the spool, per read. */
const CATCH_UP_READ = 1 << 20;

interface Child {
  readonly sock: Socket;
  readonly name: string;
  offset: number;
  live: boolean;
  catchingUp: boolean;
}

export interface FanoutOptions {
  /** Socket errors of children are logged here at debug, with the child's address. */
  log?: Logger;
  /**
   * Fault injection (the scenario suite, the lab): every byte range sent to a child
   * has one byte flipped, in a copy; the verified bytes on flash stay intact.
   */
  corrupt?: boolean;
}

export interface FanoutEvents {
  /**
   * The child has read every byte of the file: its side of the connection closed,
   * cleanly, after the parent's end (TCP delivers that end behind the last byte).
   */
  served(child: string): void;
  /** The child's connection failed before it had the whole file. */
  lost(child: string, error?: Error): void;
}

/**
 * A parent's side of one file: sends each released block to every child at the
 * live edge, as the same buffers it was verified and written from (cut-through, no
 * copies), while flash may still be writing them; a child that joined late, resumed,
 * or fell behind reads from the spool (flash, then the blocks still waiting for it)
 * until it is back at the edge. A slow child never holds up its siblings or the parent.
 * What is released, and when (each block, or the whole file at once for
 * store-and-forward), is the DLoad core's decision.
 */
export class Fanout {
  private readonly children = new Set<Child>();
  /** Bytes from the start of the file children may be sent; always held by the spool. */
  private limit = 0;

  constructor(
    private readonly spool: Spool,
    private readonly size: number,
    private readonly on: FanoutEvents,
    private readonly opts: FanoutOptions = {},
  ) {}

  get childCount(): number {
    return this.children.size;
  }

  /** Starts serving a child that asked for the file from `offset`. */
  add(sock: Socket, name: string, offset: number): void {
    const c: Child = { sock, name, offset, live: false, catchingUp: false };
    this.children.add(c);
    sock.on('close', () => {
      if (!this.children.delete(c)) return;
      if (c.offset < this.size) this.on.lost(name);
    });
    // 'close' follows and reports the loss to the core; the reason is for the console.
    sock.on('error', (e) => this.opts.log?.dbg(`child ${name} at ${sock.remoteAddress}:${sock.remotePort}: ${e.message}`));
    this.catchUp(c);
  }

  /**
   * Children may now have the file up to `limit` bytes: verified, and held by the
   * spool (on flash, or in memory while flash writes it). `slices`, when given, are
   * exactly the bytes from the previous limit to this one: children at the edge get
   * them as they are. A limit at or below the current one changes nothing, so a
   * block sent ahead of flash is not sent again when flash has it.
   */
  release(limit: number, slices?: Buffer[]): void {
    const from = this.limit;
    if (limit <= from) return;
    // Never past what the spool can give a child that falls behind.
    this.limit = Math.min(limit, this.spool.held, this.size);
    if (this.limit !== limit) slices = undefined;
    for (const c of this.children) {
      if (!c.live || !slices || c.offset !== from) {
        c.live = false;
        this.catchUp(c);
        continue;
      }
      if (c.sock.writableLength > LIVE_LIMIT) {
        // Behind: stop the live stream for this child; it reads from the spool once drained.
        c.live = false;
        c.sock.once('drain', () => this.catchUp(c));
        continue;
      }
      c.sock.cork();
      for (const s of slices) c.sock.write(this.wire(s));
      c.sock.uncork();
      this.advance(c, this.limit - from);
    }
  }

  /** Closes every child connection (the parent is going away). */
  close(): void {
    for (const c of this.children) c.sock.destroy();
    this.children.clear();
  }

  private wire(b: Buffer): Buffer {
    if (!this.opts.corrupt || b.length === 0) return b;
    const bad = Buffer.from(b);
    bad[bad.length >> 1]! ^= 0xff;
    return bad;
  }

  private advance(c: Child, n: number): void {
    c.offset += n;
    if (c.offset >= this.size) {
      c.live = false;
      this.children.delete(c);
      // Handed to the socket is not served: up to two 1 MiB batches may still wait in
      // its buffers, and a parent that leaves (reboots) on `served` took them with it;
      // the child then looked for another parent among boards that had left too.
      c.sock.once('close', (hadError) => (hadError ? this.on.lost(c.name) : this.on.served(c.name)));
      c.sock.end();
    }
  }

  private catchUp(c: Child): void {
    if (c.catchingUp || c.live || !this.children.has(c)) return;
    c.catchingUp = true;
    void this.catchUpLoop(c).finally(() => (c.catchingUp = false));
  }

  private async catchUpLoop(c: Child): Promise<void> {
    try {
      while (this.children.has(c) && c.offset < this.limit) {
        const bufs = await this.spool.readv(c.offset, Math.min(CATCH_UP_READ, this.limit - c.offset));
        if (!this.children.has(c)) return;
        let more = true;
        let n = 0;
        c.sock.cork();
        for (const b of bufs) {
          more = c.sock.write(this.wire(b));
          n += b.length;
        }
        c.sock.uncork();
        if (n === 0) throw new PfsError('PFS_ERR_FLASH_IO', `spool ${this.spool.name} has nothing at ${c.offset} (holds ${this.spool.held})`);
        this.advance(c, n);
        // Keep the socket fed while the next read is on its way: waiting for every read
        // to drain made catch-up slower than the live edge, and a child that once fell
        // behind never got back to it.
        if (!more && c.sock.writableLength > LIVE_LIMIT && this.children.has(c)) await new Promise((ok) => c.sock.once('drain', ok));
      }
    } catch (e) {
      c.sock.destroy(e as Error);
      return;
    }
    // At the edge: from now on the child gets blocks as they are flushed.
    if (this.children.has(c)) c.live = true;
  }
}
