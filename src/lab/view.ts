import { xid } from '../dload/index';
import { formatBytes } from '../units/format';
import type { BoardState, TreeBoard, TreeHierarchy, TreeSnapshot } from '../tree/model';
import { renderTree } from '../tree/render';
import type { LabProgress } from './lab';
import type { FileStatus } from '../net/peer/peer-node';

const SHADES = ' ▁▂▃▄▅▆▇█';

/**
 * Boards done as the summary counts them, from the same moment: a boot board's
 * commit (reported when it happens), an engine board's last verified file.
 */
export function verifiedCount(p: LabProgress): number {
  return p.reports.filter((r) => (r.committedMs ?? r.doneMs) !== undefined).length;
}

function stateOf(s: FileStatus): BoardState {
  if (s.role === 'failed') return 'failed';
  if (s.complete) return s.children > 0 ? 'serving' : 'complete';
  if (s.role === 'listening' || s.role === 'claiming' || s.role === 'waiting') return 'electing';
  // A member not yet placed (or between parents) is joining: the lab has no silence to judge by.
  if (s.role === 'member' && s.parentId === null) return 'electing';
  return 'downloading';
}

/**
 * The lab's boards as `pfs tree` would show them: one hierarchy per file and root
 * (each model has its own), from the boards' own status. `rates` keeps the last
 * bytes seen per board and file, for each board's rate.
 */
export function labTree(p: LabProgress, rates = new Map<string, { at: number; bytes: number; rate: number }>()): TreeSnapshot {
  const hiers = new Map<string, TreeHierarchy>();
  for (const r of p.reports) {
    const id = p.nodeIds[r.index] ?? r.index;
    for (const s of r.files) {
      const root = s.role === 'root' ? id : s.rootId;
      const key = `${s.name}@${root ?? '-'}`;
      let h = hiers.get(key);
      if (!h) hiers.set(key, (h = { key, model: p.models?.[r.index] ?? '', file: s.name, size: s.size, root: root === null ? null : { id: xid(root), addr: '127.0.0.1', hrootAt: null }, boards: [] }));
      const seen = rates.get(`${id}:${s.name}`);
      let rate = seen?.rate ?? 0;
      if (seen && p.elapsedMs > seen.at) rate = ((s.verifiedBytes - seen.bytes) * 1000) / (p.elapsedMs - seen.at);
      if (!seen || p.elapsedMs - seen.at >= 1000) rates.set(`${id}:${s.name}`, { at: p.elapsedMs, bytes: s.verifiedBytes, rate });
      const b: TreeBoard = {
        id: xid(id),
        addr: '',
        role: s.role === 'tftp' ? 'member' : s.role,
        state: stateOf(s),
        parent: s.parentId === null ? null : xid(s.parentId),
        depth: s.role === 'root' ? 0 : s.depth,
        children: [],
        held: s.verifiedBytes,
        rate: Math.max(0, Math.round(rate)),
      };
      h.boards.push(b);
    }
  }
  for (const h of hiers.values()) {
    const byId = new Map(h.boards.map((b) => [b.id, b]));
    for (const b of h.boards) if (b.parent) byId.get(b.parent)?.children.push(b.id);
  }
  return { at: p.elapsedMs, hierarchies: [...hiers.values()].sort((a, b) => a.model.localeCompare(b.model) || a.file.localeCompare(b.file) || a.key.localeCompare(b.key)) };
}

/**
 * The lab's live view: a headline (time, boards verified, what the origin sent),
 * each file's tree as `pfs tree` draws it, and one cell per board for its whole
 * upgrade. At most `rows` lines no wider than `cols`: the trees fold first.
 */
export function createLabView(title: string): (p: LabProgress, cols: number, rows?: number) => string[] {
  const rates = new Map<string, { at: number; bytes: number; rate: number }>();
  return (p, cols, rows = Infinity) => {
    const fit = (s: string) => (s.length > cols ? s.slice(0, Math.max(1, cols - 1)) + '…' : s);
    const fileBytes = p.files.reduce((a, f) => a + f.size, 0);
    const head = fit(`${title} — ${(p.elapsedMs / 1000).toFixed(1)} s — ${verifiedCount(p)}/${p.reports.length} boards verified — origin sent ${formatBytes(p.originBytes)} (${(p.originBytes / Math.max(1, fileBytes)).toFixed(2)} × the image)`);
    let grid = '';
    for (const r of p.reports) {
      if (r.error) grid += '✗';
      else if ((r.committedMs ?? r.doneMs) !== undefined) grid += '✓';
      else {
        const got = r.files.reduce((a, s) => a + s.verifiedBytes, 0);
        grid += SHADES[Math.min(8, Math.floor((got / Math.max(1, fileBytes)) * 8))];
      }
    }
    const width = Math.max(16, cols - 2);
    const gridLines = ['boards (✓ verified, shade: share held):'];
    for (let i = 0; i < grid.length; i += width) gridLines.push(`  ${grid.slice(i, i + width)}`);
    const room = Math.max(0, rows - 1 - gridLines.length);
    let middle: string[];
    if (p.mode === 'pfs') middle = renderTree(labTree(p, rates), cols, room);
    else {
      // Every board on its own from the origin: no tree, one line per file.
      middle = p.files.map((f) => fit(`${f.name}  ${formatBytes(f.size)}  ${p.reports.filter((r) => r.files.some((s) => s.name === f.name && s.complete)).length}/${p.reports.length} complete`));
      if (middle.length > room) middle = [...middle.slice(0, Math.max(0, room - 1)), `+${middle.length - Math.max(0, room - 1)} more files`].slice(0, room);
    }
    return [head, ...middle, ...gridLines.map(fit)].slice(0, Math.max(1, rows));
  };
}

/** The view once, without rates (see createLabView). */
export function renderLab(p: LabProgress, title: string, cols: number, rows?: number): string[] {
  return createLabView(title)(p, cols, rows);
}
