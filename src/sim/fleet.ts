// The fleet: boards with their addresses, ids, models and random streams, and
// booting one (a DLoad engine wanting every file, or in tftp mode a plain fetch).
import { DLoadNode } from '../dload/node';
import type { HierKey } from '../dload/key';
import type { DLoadAction, InheritedRoot } from '../dload/types';
import type { Origin } from './origin';
import type { Rng } from './rng';
import type { Actor, Board, FileState, World } from './world';

const MODEL_NAMES = ['CP-7961G', 'CP-7941G', 'CP-7971G', 'CP-7911G', 'CP-7962G', 'CP-7942G', 'CP-7965G', 'CP-7975G'];

/** The phone model board model index `m` stands for. */
export function modelName(m: number): string {
  return MODEL_NAMES[m % MODEL_NAMES.length]! + (m >= MODEL_NAMES.length ? `-${m}` : '');
}

/** Creates the boards (each with a generator forked from `rng`, in board order). */
export function createBoards(w: World, rng: Rng): void {
  const corrupt = new Set(w.c.o.corrupt ?? []);
  for (let i = 0; i < w.c.n; i++) {
    const k = i + 1;
    const b: Board = {
      i, id: (0x08002700 + i) >>> 0, ep: { addr: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`, port: 4051 },
      model: i % w.c.models, rng: rng.fork(), node: null, retired: [], alive: true, booted: false, corrupt: corrupt.has(i), frozenUntil: 0, heldUntil: 0,
      timerAt: Infinity, fs: [], keyIndex: new Map(), outActive: new Set(), inActive: new Set(), resumed: [], bytesIn: 0,
    };
    w.boards.push(b);
    w.byAddr.set(b.ep.addr, b);
    w.byId.set(b.id, b);
  }
}

export class Fleet {
  constructor(private readonly w: World, private readonly origin: Origin, private readonly act: Actor) {}

  /** Boots `b` holding `verified[f]` blocks of each file already on flash. */
  boot(b: Board, verified: readonly number[]): void {
    const w = this.w;
    if (!b.alive) return;
    b.booted = true;
    b.resumed = [...verified];
    if (w.c.mode === 'tftp') {
      b.fs = w.c.sizes.map(() => newFileState(''));
      w.c.sizes.forEach((_, f) => this.origin.start(b, f, 0, 0));
      return;
    }
    const node = new DLoadNode({
      nodeId: b.id, model: modelName(b.model), tcpPort: 4051, addr: b.ep.addr, forward: w.c.forward,
      random: () => b.rng.next(), election: w.c.o.election, timers: w.c.o.timers,
    });
    b.node = node;
    b.fs = w.c.sizes.map(() => newFileState(''));
    // With a manifest, the components wait for it (componentsFor).
    this.add(b, w.c.manifest ? 1 : w.c.sizes.length, 0, verified);
  }

  /**
   * The board holds the manifest: it adds the components, each inheriting the
   * manifest's root as this board knows it now (itself, a peer, or none), as
   * PeerNode.fetch does with `inheritRootOf`.
   */
  componentsFor(b: Board): void {
    const node = b.node;
    if (!this.w.c.manifest || !node || b.fs.length < 2 || b.fs[1]!.key !== '') return;
    this.add(b, this.w.c.sizes.length, 1, b.resumed, node.session(b.fs[0]!.key)?.inheritance(this.w.c.names[0]!));
  }

  private add(b: Board, end: number, from: number, verified: readonly number[], inherit?: InheritedRoot): void {
    const w = this.w;
    const acts: DLoadAction[] = [];
    for (let f = from; f < end; f++) {
      const r = b.node!.addFile(w.now, { name: w.c.names[f]!, size: w.c.sizes[f]!, blockBytes: w.c.blockBytes, verifiedBlocks: verified[f] ?? 0, inherit });
      b.fs[f]!.key = r.key;
      b.keyIndex.set(r.key, f);
      acts.push(...r.actions);
    }
    this.act(b, acts);
  }
}

function newFileState(key: HierKey): FileState {
  return { key, inbound: null, connecting: null, origin: null, out: new Map(), released: 0, done: false, left: false };
}
