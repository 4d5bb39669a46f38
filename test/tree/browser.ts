// Debian's headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ended by a NUL byte, commands on fd 3,
// answers and events on fd 4), so no WebSocket client or npm package is needed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = '/usr/bin/chromium';

/** Why this machine cannot run the browser tests (undefined when it can). */
export function missingChromium(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium)`;
}

/** One page in a headless Chromium. */
export class Browser {
  private nextId = 1;
  private readonly waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  private buffered = '';
  private session = '';

  private constructor(
    private readonly proc: ChildProcess,
    private readonly profile: string,
  ) {
    const from = proc.stdio[4] as Readable;
    from.setEncoding('utf8');
    from.on('data', (chunk: string) => {
      this.buffered += chunk;
      let end: number;
      while ((end = this.buffered.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buffered.slice(0, end)) as { id?: number; result?: unknown; error?: { message: string } };
        this.buffered = this.buffered.slice(end + 1);
        const w = msg.id !== undefined ? this.waiting.get(msg.id) : undefined;
        if (!w) continue;
        this.waiting.delete(msg.id!);
        if (msg.error) w.fail(new Error(`chromium: ${msg.error.message}`));
        else w.ok(msg.result);
      }
    });
    proc.once('exit', (code) => {
      for (const w of this.waiting.values()) w.fail(new Error(`chromium exited (${code})`));
      this.waiting.clear();
    });
  }

  /**
   * Starts Chromium headless with a fresh profile and opens one page of `width` x
   * `height` CSS pixels, as a phone's (mobile, touch). Flags as root needs them, and
   * without background networking (this machine has no Internet).
   */
  static async open(width: number, height: number): Promise<Browser> {
    const profile = await mkdtemp(join(tmpdir(), 'pfs-chromium-'));
    const proc = spawn(
      CHROMIUM,
      [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--font-render-hinting=none', `--user-data-dir=${profile}`,
        '--remote-debugging-pipe', 'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    const b = new Browser(proc, profile);
    const { targetId } = (await b.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await b.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    b.session = sessionId;
    await b.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: true });
    await b.send('Page.enable');
    return b;
  }

  /** A DevTools command (on the page once open()ed). */
  send(method: string, params: Record<string, unknown> = {}, toBrowser = false): Promise<unknown> {
    const id = this.nextId++;
    const msg: Record<string, unknown> = { id, method, params };
    if (this.session && !toBrowser) msg.sessionId = this.session;
    return new Promise((ok, fail) => {
      this.waiting.set(id, { ok, fail });
      (this.proc.stdio[3] as Writable).write(JSON.stringify(msg) + '\0');
    });
  }

  async goto(url: string): Promise<void> {
    await this.send('Page.navigate', { url });
  }

  /** The value of a JavaScript expression in the page (JSON-serialisable). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.text}`);
    return r.result.value;
  }

  /** The viewport as a PNG. */
  async screenshot(): Promise<Buffer> {
    const r = (await this.send('Page.captureScreenshot', { format: 'png' })) as { data: string };
    return Buffer.from(r.data, 'base64');
  }

  async close(): Promise<void> {
    const gone = new Promise((ok) => (this.proc.exitCode !== null ? ok(undefined) : this.proc.once('exit', ok)));
    await this.send('Browser.close', {}, true).catch(() => {});
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(t);
    await rm(this.profile, { recursive: true, force: true });
  }
}
