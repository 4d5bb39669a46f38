import type { Level } from './level';

export type LogFormat = 'text' | 'json';

/** Extra machine-readable fields; printed as `k=v` in text, as properties in JSON. */
export type Fields = Record<string, string | number | boolean | bigint | null | undefined>;

export interface LogRecord {
  /** Wall-clock time in microseconds since the epoch. */
  readonly timeUs: number;
  readonly level: Level;
  readonly module: string;
  readonly text: string;
  readonly fields?: Fields;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** `HH:MM:SS.micro` in local time, as the phone's console prints it. */
export function clockText(timeUs: number): string {
  const d = new Date(Math.floor(timeUs / 1000));
  const micro = Math.floor(timeUs % 1_000_000);
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(micro, 6)}`;
}

function fieldText(v: Fields[string]): string {
  const s = String(v);
  return /[\s"=]/.test(s) ? JSON.stringify(s) : s;
}

/** `LVL HH:MM:SS.micro MODULE: text k=v ...` — one line, stable and greppable. */
export function formatText(r: LogRecord): string {
  let line = `${r.level} ${clockText(r.timeUs)} ${r.module}: ${r.text}`;
  if (r.fields) {
    for (const [k, v] of Object.entries(r.fields)) if (v !== undefined) line += ` ${k}=${fieldText(v)}`;
  }
  return line;
}

export function formatJson(r: LogRecord): string {
  const out: Record<string, unknown> = {
    time: new Date(Math.floor(r.timeUs / 1000)).toISOString(),
    level: r.level,
    module: r.module,
    msg: r.text,
  };
  if (r.fields) {
    for (const [k, v] of Object.entries(r.fields)) {
      if (v !== undefined) out[k] = typeof v === 'bigint' ? v.toString() : v;
    }
  }
  return JSON.stringify(out);
}
