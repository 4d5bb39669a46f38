// Carries out the actions a board's engine returns, in order, on the simulated
// subnet, then arms the board's timer for the engine's next deadline.
import type { DLoadAction } from '../dload/types';
import type { Datagrams } from './datagrams';
import type { Links } from './links';
import type { Origin } from './origin';
import type { Flows } from './flows';
import type { Board, World } from './world';

export class Performer {
  /** A board completed file `f` (the simulation adds the components once it holds the manifest). */
  onFileComplete?: (b: Board, f: number) => void;
  /** A board may leave file `f` (complete, its children served). */
  onLeft?: (b: Board, f: number) => void;

  constructor(
    private readonly w: World,
    private readonly net: Datagrams,
    private readonly links: Links,
    private readonly origin: Origin,
    private readonly flows: Flows,
  ) {}

  perform(b: Board, acts: DLoadAction[]): void {
    const w = this.w;
    for (const a of acts) {
      if (!b.alive) return;
      switch (a.type) {
        case 'Log':
          w.c.o.onLog?.(b.i, w.now, a.level, a.text);
          break;
        case 'SendBroadcast':
          this.net.broadcast(b, a.bytes);
          break;
        case 'SendUnicast':
          this.net.unicast(b, a.to, a.bytes);
          break;
        case 'ConnectParent':
          this.links.connect(b, b.keyIndex.get(a.key)!, a.parent, a.fromOffset, a.depth);
          break;
        case 'DisconnectParent':
          this.links.disconnectParent(b, b.keyIndex.get(a.key)!);
          break;
        case 'OpenOrigin':
        case 'PrepareOrigin':
          this.origin.prepare(b, b.keyIndex.get(a.key)!);
          break;
        case 'FetchOrigin':
          this.origin.fetch(b, b.keyIndex.get(a.key)!, a.fromOffset);
          break;
        case 'StopOrigin':
          this.origin.stop(b, b.keyIndex.get(a.key)!);
          break;
        case 'ServeChild':
          this.links.serve(b, b.keyIndex.get(a.key)!, a.childId, a.fromOffset);
          break;
        case 'RejectChild':
          this.links.reject(b, b.keyIndex.get(a.key), a.childId, a.status);
          break;
        case 'Release': {
          const fs = b.fs[b.keyIndex.get(a.key)!]!;
          fs.released = a.blocks;
          for (const s of fs.out.values()) this.flows.pump(s);
          break;
        }
        case 'FileComplete': {
          const f = b.keyIndex.get(a.key)!;
          w.fileDone(b, f);
          this.onFileComplete?.(b, f);
          break;
        }
        case 'FileFailed': {
          // The board gives the file up: no source, no children (they hear the
          // connection close and go back to their root), and it never counts as verified.
          const f = b.keyIndex.get(a.key)!;
          this.origin.stop(b, f);
          this.links.disconnectParent(b, f);
          this.links.dropChildren(b, f, w.c.lat);
          w.fileFailed(b, f, a.code);
          break;
        }
        case 'MayLeave': {
          const f = b.keyIndex.get(a.key)!;
          b.fs[f]!.left = true;
          this.onLeft?.(b, f);
          break;
        }
        default: {
          const unknown: never = a;
          throw new Error(`simulator: unhandled DLoad action ${JSON.stringify(unknown)}`);
        }
      }
    }
    this.schedTimer(b);
  }

  private schedTimer(b: Board): void {
    const w = this.w;
    if (!b.node || !b.alive) return;
    const d = Math.max(w.now, b.node.nextDeadline());
    if (d >= b.timerAt || d === Infinity) return;
    b.timerAt = d;
    const fire = (): void => {
      if (!b.alive || b.timerAt !== d) return;
      b.timerAt = Infinity;
      // A frozen board's timers run when it thaws (Faults re-arms them).
      if (w.frozen(b)) return;
      this.perform(b, b.node!.tick(w.now));
    };
    w.at(d + w.lag(b), () => w.whenRunning(b, fire, true));
  }
}
