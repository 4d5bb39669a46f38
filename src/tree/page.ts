// The status page of `pfs tree --http`: one self-contained HTML file (no framework,
// nothing fetched from elsewhere: a technician's phone on the site's LAN may have no
// Internet). Its script draws each hierarchy as an SVG tree from the snapshots the
// server sends (server-sent events) and keeps the latest in window.__tree for tests.
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pfs tree</title>
<style>
  body { font: 15px/1.35 system-ui, sans-serif; margin: 0; padding: 10px; background: #f6f7f9; color: #1c1e21; }
  h1 { font-size: 18px; margin: 0 0 6px; }
  #status { color: #555; font-size: 13px; margin-bottom: 10px; }
  section { background: #fff; border: 1px solid #d8dbe0; border-radius: 8px; padding: 8px 10px; margin-bottom: 12px; }
  h2 { font-size: 15px; margin: 0; word-break: break-all; }
  .meta { font-size: 13px; color: #444; margin: 2px 0 6px; }
  .problems { font-size: 13px; color: #a40000; margin-top: 4px; }
  svg { width: 100%; height: auto; display: block; }
  svg text { font-family: ui-monospace, monospace; }
  .legend { font-size: 12px; color: #555; }
  .led-downloading { animation: blink 0.5s steps(1) infinite; }
  .led-serving { animation: double 1s steps(1) infinite; }
  .led-error { animation: blink 0.125s steps(1) infinite; }
  .led-idle { animation: flash 1s steps(1) infinite; }
  @keyframes blink { 50% { opacity: 0.15; } }
  @keyframes double { 10%, 30% { opacity: 0.15; } 20% { opacity: 1; } 40%, 100% { opacity: 0.15; } }
  @keyframes flash { 10%, 100% { opacity: 0.15; } }
</style>
</head>
<body>
<h1>pfs tree</h1>
<div id="status">connecting…</div>
<div id="trees"></div>
<p class="legend">Each box is a board: last 4 digits of its XID, its share of the file, its screen's role for it and its LED (green steady: done;
blinking: taking the firmware, do not power off; double flash: serving others; fast red flicker: stopped on an error).</p>
<script>
"use strict";
const COLORS = { downloading: '#2f6fdb', complete: '#1f8a3b', serving: '#1f8a3b', electing: '#8a8f98', orphaned: '#c77700', stuck: '#c77700', failed: '#c0262d', silent: '#8a8f98' };
const LED = { downloading: 'downloading', electing: 'downloading', orphaned: 'downloading', stuck: 'downloading', serving: 'serving', complete: 'done', failed: 'error', silent: 'off' };
const NS = 'http://www.w3.org/2000/svg';
const el = (name, attrs, text) => {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};
const short = (id) => id.slice(-4);
const mib = (n) => (n / 1048576).toFixed(2) + ' MiB';
const clock = (ms) => new Date(ms).toTimeString().slice(0, 8) + '.' + String(ms % 1000).padStart(3, '0');
const rate = (b) => b >= 1e6 ? (b / 1e6).toFixed(1) + ' MB/s' : b > 0 ? Math.round(b / 1e3) + ' kB/s' : '';
function screenRole(h, b) {
  if (b.state === 'failed') return 'error';
  if (h.root && b.id === h.root.id) return 'root';
  if (b.children.length > 0) return 'parent';
  if (b.role === 'member') return 'child';
  return b.role;
}
function draw(h) {
  const sec = document.createElement('section');
  sec.dataset.key = h.key;
  const title = document.createElement('h2');
  title.textContent = (h.model || '?') + '  ' + (h.file || h.key);
  const done = h.boards.filter((b) => b.state === 'complete' || b.state === 'serving').length;
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = mib(h.size) + ' · ' + (h.root ? 'root ' + h.root.id + ' ' + h.root.addr + (h.root.hrootAt ? ' · HROOT ' + clock(h.root.hrootAt) : '') : 'electing') + ' · ' + done + '/' + h.boards.length + ' complete';
  sec.append(title, meta);
  // Levels: the root on top, then each depth; a board's x is its place in its level.
  const placed = h.boards.filter((b) => b.state !== 'failed' && (b.role === 'root' || b.role === 'member'));
  const levels = [];
  for (const b of placed) (levels[b.role === 'root' ? 0 : b.depth] ||= []).push(b);
  const rows = levels.filter(Boolean);
  const W = 96, H = 58, GX = 8, GY = 26;
  const widest = Math.max(1, ...rows.map((r) => r.length));
  const width = Math.max(320, widest * (W + GX));
  const height = Math.max(1, rows.length) * (H + GY);
  const svg = el('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': 'tree of ' + h.file });
  const pos = new Map();
  rows.forEach((row, y) => row.forEach((b, i) => {
    const span = width / row.length;
    pos.set(b.id, { x: span * i + span / 2, y: y * (H + GY) + H / 2 + 2 });
  }));
  for (const b of placed) {
    const p = pos.get(b.id), q = b.parent && pos.get(b.parent);
    if (p && q) svg.append(el('line', { x1: q.x, y1: q.y + H / 2, x2: p.x, y2: p.y - H / 2, stroke: '#9aa0a8', 'stroke-width': 1.5 }));
  }
  for (const b of placed) {
    const p = pos.get(b.id);
    const g = el('g', { class: 'board', 'data-id': b.id, 'data-state': b.state, 'data-parent': b.parent || '' });
    const c = COLORS[b.state] || '#555';
    const pct = Math.floor((b.held / Math.max(1, h.size)) * 100);
    g.append(el('rect', { x: p.x - W / 2, y: p.y - H / 2, width: W, height: H, rx: 6, fill: '#fff', stroke: c, 'stroke-width': 2 }));
    g.append(el('rect', { x: p.x - W / 2 + 3, y: p.y + H / 2 - 9, width: (W - 6) * pct / 100, height: 5, fill: c }));
    g.append(el('text', { x: p.x - W / 2 + 8, y: p.y - H / 2 + 17, 'font-size': 14, 'font-weight': 'bold' }, short(b.id) + (h.root && b.id === h.root.id ? '*' : '')));
    g.append(el('circle', { cx: p.x + W / 2 - 11, cy: p.y - H / 2 + 12, r: 5, fill: b.state === 'failed' ? '#e0262d' : '#23c552', class: 'led-' + LED[b.state] }));
    g.append(el('text', { x: p.x - W / 2 + 8, y: p.y - H / 2 + 33, 'font-size': 12 }, pct + '% ' + screenRole(h, b)));
    g.append(el('text', { x: p.x - W / 2 + 8, y: p.y - H / 2 + 46, 'font-size': 11, fill: '#555' }, rate(b.rate)));
    svg.append(g);
  }
  sec.append(svg);
  const problems = h.boards.filter((b) => ['failed', 'orphaned', 'stuck', 'silent'].includes(b.state));
  if (problems.length) {
    const p = document.createElement('div');
    p.className = 'problems';
    p.textContent = problems.map((b) => b.id + ' ' + b.state + (b.failure ? ' (' + b.failure + ')' : '')).join(' · ');
    sec.append(p);
  }
  return sec;
}
function show(s) {
  window.__tree = s;
  document.getElementById('status').textContent = s.hierarchies.length + ' hierarch' + (s.hierarchies.length === 1 ? 'y' : 'ies') + ' · ' + new Date(s.at).toTimeString().slice(0, 8);
  document.getElementById('trees').replaceChildren(...s.hierarchies.map(draw));
}
const events = new EventSource('events');
events.onmessage = (e) => show(JSON.parse(e.data));
events.onerror = () => { document.getElementById('status').textContent = 'connection lost: retrying…'; };
</script>
</body>
</html>
`;
