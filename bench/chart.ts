// A small SVG line chart for the benchmarks: one line per series over a shared x
// axis, linear or log₁₀ y, a legend, axis labels, optional horizontal reference lines.
// Hollow markers and dashed segments show points that were derived, not measured.

export interface ChartPoint {
  x: number;
  y: number;
  /** Derived (extrapolated) rather than measured: drawn hollow, reached by a dashed segment. */
  derived?: boolean;
}

export interface ChartSeries {
  name: string;
  points: ChartPoint[];
  color?: string;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** Log₁₀ y axis (default), for values spanning decades. */
  logY?: boolean;
  /** Log₂ x axis: fleet sizes 8, 16, 32, 64 fall evenly. */
  logX?: boolean;
  /** Horizontal lines, e.g. a physical limit. */
  refs?: { y: number; label: string }[];
  /** A line of small print under the plot. */
  note?: string;
  width?: number;
  height?: number;
}

const PALETTE = ['#d62728', '#ff7f0e', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#17becf'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (v: number) => Math.round(v * 10) / 10;

function fmt(v: number): string {
  if (v >= 1000) return `${Math.round(v / 100) / 10}k`.replace('.0k', 'k');
  if (v >= 10) return String(Math.round(v));
  return String(Math.round(v * 10) / 10);
}

/** Log ticks: 1, 2, 5 per decade when few decades, else only powers of ten. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const decades = Math.log10(hi) - Math.log10(lo);
  const steps = decades > 4 ? [1] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of steps) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

function linTicks(lo: number, hi: number): number[] {
  const span = hi - lo;
  const raw = span / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** The chart as an SVG document (no external fonts or scripts). */
export function lineChartSvg(o: ChartOptions): string {
  const W = o.width ?? 860;
  const H = o.height ?? 480;
  const logY = o.logY ?? true;
  const logX = o.logX ?? true;
  const legendW = 300;
  const m = { left: 70, right: legendW + 20, top: 44, bottom: o.note ? 74 : 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const xs = [...new Set(o.series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const ys = [...o.series.flatMap((s) => s.points.map((p) => p.y)), ...(o.refs ?? []).map((r) => r.y)].filter((v) => v > 0);
  const tx = (v: number) => (logX ? Math.log2(v) : v);
  const ty = (v: number) => (logY ? Math.log10(v) : v);
  const x0 = tx(xs[0] ?? 1);
  const x1 = tx(xs[xs.length - 1] ?? 2);
  const xPad = (x1 - x0 || 1) * 0.06;
  // Log axis: from the 1-2-5 step at or below the smallest value to the next power of ten above the largest.
  const floor125 = (v: number) => {
    const e = 10 ** Math.floor(Math.log10(v));
    return ([5, 2, 1].find((k) => k * e <= v) ?? 1) * e;
  };
  let yLo = logY ? floor125(Math.min(...ys)) : 0;
  let yHi = logY ? 10 ** Math.ceil(Math.log10(Math.max(...ys))) : Math.max(...ys) * 1.1;
  if (!(yHi > yLo)) (yLo = logY ? 1 : 0), (yHi = 10);
  const px = (v: number) => m.left + ((tx(v) - x0 + xPad) / (x1 - x0 + 2 * xPad)) * pw;
  const py = (v: number) => m.top + ph - ((ty(v) - ty(yLo)) / (ty(yHi) - ty(yLo))) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>`);
  // Grid and y ticks.
  for (const v of logY ? logTicks(yLo, yHi) : linTicks(yLo, yHi)) {
    const y = r1(py(v));
    const major = !logY || Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="${major ? '#cccccc' : '#eeeeee'}"/>`);
    out.push(`<text x="${m.left - 6}" y="${y + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  for (const v of xs) {
    const x = r1(px(v));
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#eeeeee"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 18}" text-anchor="middle">${fmt(v)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444444"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 38}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}${logY ? ' (log scale)' : ''}</text>`);
  if (o.note) out.push(`<text x="${m.left}" y="${H - 12}" font-size="10.5" fill="#555555">${esc(o.note)}</text>`);

  for (const r of o.refs ?? []) {
    const y = r1(py(r.y));
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#000000" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${m.left + 6}" y="${y - 5}" font-size="11">${esc(r.label)}</text>`);
  }

  o.series.forEach((s, i) => {
    const c = s.color ?? PALETTE[i % PALETTE.length]!;
    const pts = [...s.points].filter((p) => p.y > 0).sort((a, b) => a.x - b.x);
    for (let k = 1; k < pts.length; k++) {
      const a = pts[k - 1]!;
      const b = pts[k]!;
      const dash = a.derived || b.derived ? ' stroke-dasharray="6 4"' : '';
      out.push(`<line x1="${r1(px(a.x))}" y1="${r1(py(a.y))}" x2="${r1(px(b.x))}" y2="${r1(py(b.y))}" stroke="${c}" stroke-width="2.2"${dash}/>`);
    }
    for (const p of pts) {
      out.push(`<circle cx="${r1(px(p.x))}" cy="${r1(py(p.y))}" r="4" fill="${p.derived ? '#ffffff' : c}" stroke="${c}" stroke-width="2"/>`);
    }
    // Legend.
    const ly = m.top + 10 + i * 22;
    const lx = W - legendW;
    const anyDerived = pts.some((p) => p.derived);
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 26}" y2="${ly}" stroke="${c}" stroke-width="2.2"${anyDerived ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<circle cx="${lx + 13}" cy="${ly}" r="4" fill="${anyDerived ? '#ffffff' : c}" stroke="${c}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 34}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  if (o.series.some((s) => s.points.some((p) => p.derived))) {
    const ly = m.top + 10 + o.series.length * 22 + 6;
    out.push(`<text x="${W - legendW}" y="${ly + 4}" font-size="10.5" fill="#555555">hollow / dashed: extrapolated, not run to the end</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
