import { formatBytes } from '../units/format';
import type { LabProgress } from './lab';

const SHADES = ' ▁▂▃▄▅▆▇█';

const label = (id: number) => (id >>> 0).toString(16).toUpperCase().padStart(8, '0').slice(-4);

/**
 * The lab's live view: per file, its tree level by level (who is root, how deep it
 * goes, each board's share), then one cell per board for its whole upgrade.
 * Returns lines no wider than `cols`.
 */
export function renderLab(p: LabProgress, title: string, cols: number): string[] {
  const nodeIds = p.nodeIds;
  const fit = (s: string) => (s.length > cols ? s.slice(0, cols - 1) + '…' : s);
  const lines: string[] = [];
  const fileBytes = p.files.reduce((a, f) => a + f.size, 0);
  const done = p.reports.filter((r) => r.doneMs !== undefined).length;
  lines.push(fit(`${title} — ${(p.elapsedMs / 1000).toFixed(1)} s — ${done}/${p.reports.length} boards verified — origin sent ${formatBytes(p.originBytes)} (${(p.originBytes / fileBytes).toFixed(2)} × the image)`));
  for (const f of p.files) {
    const rows = p.reports.map((r) => ({ id: nodeIds[r.index] ?? r.index, s: r.files.find((x) => x.name === f.name) }));
    const complete = rows.filter((r) => r.s?.complete).length;
    lines.push(fit(`${f.name}  ${formatBytes(f.size)}  ${complete}/${rows.length} complete`));
    if (p.mode !== 'pfs') continue;
    const levels = new Map<number, string[]>();
    const waiting: string[] = [];
    for (const r of rows) {
      if (!r.s) continue;
      const pct = Math.floor((r.s.verifiedBytes / Math.max(1, r.s.size)) * 100);
      const cell = `${label(r.id)}${r.s.role === 'root' ? '*' : ''} ${String(pct).padStart(3)}%`;
      if (r.s.role !== 'root' && r.s.role !== 'member') {
        waiting.push(label(r.id));
        continue;
      }
      const d = r.s.role === 'root' ? 0 : r.s.depth;
      let level = levels.get(d);
      if (!level) levels.set(d, (level = []));
      level.push(cell);
    }
    for (const d of [...levels.keys()].sort((a, b) => a - b)) {
      const cells = levels.get(d)!;
      let line = `  depth ${d}:`;
      let shown = 0;
      for (const c of cells) {
        if (line.length + c.length + 3 > cols - 10) break;
        line += `  ${c}`;
        shown++;
      }
      if (shown < cells.length) line += `  +${cells.length - shown} more`;
      lines.push(fit(line));
    }
    if (waiting.length > 0) lines.push(fit(`  electing/joining: ${waiting.length} board(s)`));
  }
  let grid = '';
  for (const r of p.reports) {
    if (r.error) grid += '✗';
    else if (r.doneMs !== undefined) grid += '✓';
    else {
      const got = r.files.reduce((a, s) => a + s.verifiedBytes, 0);
      grid += SHADES[Math.min(8, Math.floor((got / fileBytes) * 8))];
    }
  }
  lines.push('boards (* = root; cells: progress, ✓ verified):');
  for (let i = 0; i < grid.length; i += Math.max(16, cols - 2)) lines.push(`  ${grid.slice(i, i + Math.max(16, cols - 2))}`);
  return lines;
}
