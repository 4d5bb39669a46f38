import { formatBytes } from '../units/format';
import type { TreeBoard, TreeHierarchy, TreeSnapshot } from './model';

/** The last four hex digits of an XID: what fits in a cell (the console's XID080027F8 → 27F8). */
export const shortId = (id: string): string => id.slice(-4);

const SHADES = '▁▁▂▃▄▅▆▇█';

const MARK: Record<TreeBoard['state'], string> = {
  electing: '~',
  downloading: '',
  complete: '✓',
  serving: '✓',
  orphaned: '?',
  stuck: '!',
  failed: '✗',
  silent: '…',
};

function rate(bps: number): string {
  if (bps <= 0) return '';
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(1)}M/s` : `${Math.round(bps / 1e3)}k/s`;
}

function cell(b: TreeBoard, size: number, isRoot: boolean): string {
  const pct = Math.floor((b.held / Math.max(1, size)) * 100);
  const r = b.state === 'downloading' ? rate(b.rate) : '';
  return `${shortId(b.id)}${isRoot ? '*' : ''}${MARK[b.state]} ${pct}%${r ? ` ${r}` : ''}`;
}

function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** One hierarchy's lines: a header, one line per tree level, and what is wrong. */
interface Block {
  header: string;
  /** Every board complete: when space is short it shows its header alone. */
  complete: boolean;
  /** Per level its cells and each board's share held (0..1), for a folded level's shades. */
  levels: { depth: number; cells: string[]; shares: number[] }[];
  problems: string[];
}

function block(h: TreeHierarchy): Block {
  const rootId = h.root?.id;
  const done = h.boards.filter((b) => b.state === 'complete' || b.state === 'serving').length;
  const rateSum = h.boards.reduce((a, b) => a + (b.state === 'downloading' ? b.rate : 0), 0);
  const root = h.root ? `root ${h.root.id} ${h.root.addr}${h.root.hrootAt !== null ? ` HROOT ${clock(h.root.hrootAt)}` : ''}` : 'electing';
  // What a technician scans for first comes first: a narrow terminal cuts the end.
  const header = `${h.model ? `${h.model} ` : ''}${h.file || h.key}  ${done}/${h.boards.length} complete${rateSum > 0 ? `  ${rate(rateSum)}` : ''}  ${formatBytes(h.size)}  ${root}`;
  const byDepth = new Map<number, { cells: string[]; shares: number[] }>();
  const problems: string[] = [];
  const electing: string[] = [];
  for (const b of h.boards) {
    if (b.state === 'failed') problems.push(`${b.id} gave up: ${b.failure || 'failed'}`);
    if (b.state === 'electing' || (b.role !== 'root' && b.role !== 'member' && b.state !== 'failed')) {
      electing.push(shortId(b.id));
      continue;
    }
    if (b.state === 'failed') continue;
    const d = b.id === rootId ? 0 : b.depth;
    let level = byDepth.get(d);
    if (!level) byDepth.set(d, (level = { cells: [], shares: [] }));
    level.cells.push(cell(b, h.size, b.id === rootId));
    level.shares.push(b.held / Math.max(1, h.size));
  }
  const of = (s: TreeBoard['state']) => h.boards.filter((b) => b.state === s).map((b) => shortId(b.id));
  for (const [state, what] of [['orphaned', 'orphaned (no parent)'], ['stuck', `stuck (no progress)`], ['silent', 'silent (no answer)']] as const) {
    const ids = of(state);
    if (ids.length > 0) problems.push(`${what}: ${ids.join(' ')}`);
  }
  if (electing.length > 0) problems.push(`electing: ${electing.join(' ')}`);
  const levels = [...byDepth.keys()].sort((a, b) => a - b).map((depth) => ({ depth, ...byDepth.get(depth)! }));
  return { header, levels, problems, complete: h.boards.length > 0 && done === h.boards.length };
}

/** Cells of one level on one line no wider than `cols`; what does not fit becomes "+N more". */
function levelLine(depth: number, cells: string[], cols: number): string {
  let line = `  ${String(depth).padStart(2)} `;
  let shown = 0;
  for (const c of cells) {
    const rest = cells.length - shown - 1;
    const more = rest > 0 ? `  +${rest} more`.length : 0;
    if (line.length + 2 + c.length + more > cols) break;
    line += `  ${c}`;
    shown++;
  }
  if (shown < cells.length) line += `  +${cells.length - shown} more`;
  return line;
}

const fit = (s: string, cols: number) => (s.length > cols ? s.slice(0, Math.max(1, cols - 1)) + '…' : s);

/**
 * The tree view of `pfs tree --watch` and `pfs lab`: per hierarchy a header (model,
 * file, root, HROOT time, boards complete), its tree level by level (each board's
 * last 4 XID digits, * = root, its share and rate), then what is wrong (gave up,
 * orphaned, stuck, silent). At most `rows` lines no wider than `cols`: deep levels
 * fold into "+N more" first, then whole hierarchies.
 */
export function renderTree(s: TreeSnapshot, cols: number, rows: number): string[] {
  if (s.hierarchies.length === 0) return [fit('no hierarchy heard yet (adverts, status answers)', cols)].slice(0, Math.max(0, rows));
  const blocks = s.hierarchies.map(block);
  const full = (b: Block) => 1 + b.levels.length + b.problems.length;
  if (blocks.reduce((a, b) => a + full(b), 0) > rows) {
    // Short of room: a finished hierarchy says so in its header; its tree goes first.
    for (const b of blocks) if (b.complete) b.levels = [];
  }
  const need = (k: number, problems: boolean) =>
    blocks.reduce((a, b) => a + 1 + Math.min(b.levels.length, k) + (b.levels.length > k ? 1 : 0) + (problems ? b.problems.length : 0), 0);
  const deepest = Math.max(...blocks.map((b) => b.levels.length));
  let k = deepest;
  let problems = true;
  while (k > 0 && need(k, true) > rows) k--;
  if (need(k, true) > rows) problems = false;
  const out: string[] = [];
  if (need(k, problems) <= rows) {
    for (const b of blocks) {
      out.push(fit(b.header, cols));
      for (const l of b.levels.slice(0, k)) out.push(fit(levelLine(l.depth, l.cells, cols), cols));
      const folded = b.levels.slice(k);
      if (folded.length > 0) {
        const n = folded.reduce((a, l) => a + l.cells.length, 0);
        // One shade per folded board, level by level: how far each is, at a glance.
        const shades = folded.map((l) => l.shares.map((x) => SHADES[Math.min(8, Math.floor(x * 8))]).join('')).join(' ');
        out.push(fit(`  ${folded.length > 1 ? `${folded[0]!.depth}..${folded[folded.length - 1]!.depth}` : String(folded[0]!.depth).padStart(2)}   +${n} more  ${shades}`, cols));
      }
      if (problems) for (const p of b.problems) out.push(fit(`  ${p}`, cols));
    }
    return out;
  }
  // Not even one line per hierarchy and its folded levels: headers only, then a count.
  const room = Math.max(0, rows - 1);
  for (const b of blocks.slice(0, room)) out.push(fit(b.header, cols));
  if (blocks.length > room && rows > 0) out.push(fit(`+${blocks.length - room} more hierarchies`, cols));
  return out.slice(0, Math.max(0, rows));
}
