import type { FileStatus } from '../net/peer/peer-node';
import type { BoardPhase, ComponentState, ComponentView, ShareRole, UpgradeView } from '../hal/view';
import { initialView } from '../hal/view';

/**
 * The board's upgrade as its screen and LEDs show it. The upgrade sequence reports
 * what it decides (phase, target load, components, direct-download bytes); the
 * peer engine's status fills in the rest (role, verified bytes, children) each time
 * the view is read, so nothing on the data path has to report per block.
 */
export class UpgradeProgress {
  private v: UpgradeView;
  private readonly comps = new Map<string, ComponentView>();
  private peerStatus: (() => FileStatus[]) | undefined;
  private changed: (() => void) | undefined;

  constructor(model: string, running: string | null) {
    this.v = initialView(model, running);
  }

  /** Where the peer engine's per-file status comes from (boards with PFS). */
  attachPeers(status: () => FileStatus[]): void {
    this.peerStatus = status;
  }

  /** Called after every phase change, so the screen shows it at once rather than at the next refresh. */
  onChange(fn: () => void): void {
    this.changed = fn;
  }

  phase(phase: BoardPhase, error?: string): void {
    this.v.phase = phase;
    if (error !== undefined) this.v.error = error;
    this.changed?.();
  }

  target(load: string, pfs: boolean): void {
    this.v.target = load;
    this.v.pfs = pfs;
  }

  components(files: { name: string; size: number }[], pfs: boolean): void {
    this.comps.clear();
    for (const f of files) this.comps.set(f.name, { name: f.name, size: f.size, bytes: 0, state: 'waiting', role: pfs ? 'child' : 'tftp', children: 0 });
  }

  /** A direct download's (or a resume check's) own report. */
  component(name: string, state: ComponentState, bytes?: number): void {
    const c = this.comps.get(name);
    if (!c) return;
    c.state = state;
    if (bytes !== undefined) c.bytes = bytes;
    if (state === 'done') c.bytes = c.size;
  }

  /** The picture as of now. */
  view(): UpgradeView {
    if (this.peerStatus) {
      for (const s of this.peerStatus()) {
        const c = this.comps.get(s.name);
        if (!c || c.role === 'tftp') continue;
        c.bytes = Math.max(c.bytes, s.verifiedBytes);
        c.children = s.children;
        c.role = roleOf(s, c.role);
        if (c.state !== 'failed' && c.state !== 'verifying') c.state = s.complete ? 'done' : c.bytes > 0 ? 'downloading' : 'waiting';
      }
    }
    return { ...this.v, components: [...this.comps.values()].map((c) => ({ ...c })) };
  }
}

/** The engine's role for a file as a technician reads it; an election in progress keeps the last one. */
function roleOf(s: FileStatus, before: ShareRole): ShareRole {
  if (s.role === 'root') return 'root';
  if (s.role === 'member') return s.children > 0 || s.maxChildren > 0 ? 'parent' : 'child';
  return before;
}
