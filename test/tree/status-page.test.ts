// The status page of `pfs tree --http`, in Debian's headless Chromium at a phone's
// size, driven by a lab: the page draws every hierarchy the boards' logs show, with
// each board's parent, root mark and LED; it updates by itself (server-sent events);
// and it looks like the committed screenshot, loosely.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../../src/log/logger';
import { runLab, type LabProgress } from '../../src/lab/lab';
import type { TreeSnapshot } from '../../src/tree/model';
import { anyMissing, inCI, testIf } from '../helpers/ci';
import { freePortRange, until } from '../helpers/net';
import { BUNDLE, compareWithLogs } from './board-logs';
import { Browser, missingChromium } from './browser';
import { looseDistance, readPng } from './png';

const SCREENSHOT = 'test/fixtures/tree/status-page.png';
const PHONE = { width: 412, height: 915 };
const SET_BYTES = 4 << 20;
/** Share of blocks (17 px squares) allowed to differ clearly between two screenshots of the page. */
const ALIKE = 0.08;

interface DrawnBoard {
  id: string;
  parent: string;
  state: string;
  label: string;
  led: string;
}

testIf(anyMissing(missingChromium(), existsSync(BUNDLE) ? undefined : `${BUNDLE} not built (npm run build)`), 'status page in headless Chromium, driven by a lab: every tree drawn as the boards log it, live, like the screenshot', async () => {
  const first = await freePortRange(9);
  let dir = '';
  const sink = { writeLine: (l: string) => void (dir ||= /dir=(\S+)/.exec(l)?.[1] ?? '') };
  const log = createLogger('TEST', { level: 'NOT', sinks: [sink] });
  // pfs tree --http on a port from the kernel; it says where on stderr.
  const tree = spawn(process.execPath, [BUNDLE, 'tree', '--http', '127.0.0.1:0', '--port', String(first), '--broadcast', '127.255.255.255'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  tree.stderr.on('data', (d) => (err += d));
  let midway!: () => void;
  const reachedMidway = new Promise<void>((ok) => (midway = ok));
  const progress = (p: LabProgress) => {
    const parts = p.reports.flatMap((r) => r.files.filter((f) => !f.name.endsWith('.loads')));
    if (parts.reduce((a, f) => a + f.verifiedBytes, 0) > 0.25 * 8 * SET_BYTES) midway();
  };
  const lab = runLab(
    {
      boards: 8, size: SET_BYTES, files: 2, mode: 'pfs', forward: 'cut', wanRate: 10e6, wanRttMs: 40, wanLoss: 0, tftpBlksize: 1468, tftpWindow: 32,
      perProcess: 8, hostEntry: { script: BUNDLE, execArgv: [] }, portBase: first + 1, broadcast: { addr: '127.255.255.255', port: first }, model: 'CP-7961G',
      logLevel: 'INF', keep: true, timeoutMs: 120_000, engine: false, models: [{ model: 'CP-7961G', count: 6 }, { model: 'CP-7941G', count: 2 }], pfsOff: 0,
      boardsDir: 'boards', onProgress: progress,
    },
    log,
  );
  let browser: Browser | undefined;
  try {
    await until(() => /http:\/\/\S+\//.test(err), { what: 'pfs tree to say where its page is', timeoutMs: 10_000 });
    const url = /(http:\/\/\S+\/)/.exec(err)![1]!;
    browser = await Browser.open(PHONE.width, PHONE.height);
    await browser.goto(url);
    await reachedMidway;
    const page = browser;
    // Every hierarchy (two models: their manifest and 2 components each), every board of it drawn.
    await until(
      async () =>
        (await page.evaluate<boolean>(
          `!!window.__tree && window.__tree.hierarchies.length === 6 && window.__tree.hierarchies.every((h) => h.root && h.boards.length === (h.model === 'CP-7961G' ? 6 : 2) && h.boards.every((b) => b.role === 'root' || b.parent))`,
        )),
      { what: 'the page to show 6 hierarchies, every board placed', timeoutMs: 10_000, everyMs: 100 },
    );
    const shown = await page.evaluate<TreeSnapshot>('window.__tree');
    const drawn = await page.evaluate<Record<string, DrawnBoard[]>>(
      `Object.fromEntries([...document.querySelectorAll('section')].map((s) => [s.dataset.key, [...s.querySelectorAll('g.board')].map((g) => ({ id: g.dataset.id, parent: g.dataset.parent, state: g.dataset.state, label: g.querySelector('text').textContent, led: g.querySelector('circle').getAttribute('class') }))]))`,
    );
    for (const h of shown.hierarchies) {
      const boxes = drawn[h.key] ?? [];
      assert.is(boxes.length, h.boards.length, `${h.file}: one box per board`);
      for (const b of h.boards) {
        const box = boxes.find((x) => x.id === b.id);
        assert.ok(box, `${h.file}: ${b.id} drawn`);
        assert.is(box!.parent, b.parent ?? '', `${h.file}: ${b.id}'s line goes to its parent`);
        assert.is(box!.label, b.id.slice(-4) + (b.id === h.root?.id ? '*' : ''), `${h.file}: ${b.id}'s label`);
        assert.match(box!.led, /^led-(downloading|serving|done|error|off)$/, `${h.file}: ${b.id}'s LED`);
      }
    }
    const png = await page.screenshot();
    // What the page shows is what the boards themselves logged.
    await compareWithLogs(shown, join(dir, 'logs'), 6);
    // Live: a later snapshot arrives without reloading.
    const at = shown.at;
    await until(async () => (await page.evaluate<number>('window.__tree.at')) > at, { what: 'a newer snapshot on the page', timeoutMs: 5000, everyMs: 100 });

    const img = readPng(png);
    assert.equal([img.width, img.height], [PHONE.width, PHONE.height], 'a phone-sized screenshot');
    if (!existsSync(SCREENSHOT) || process.env.PFS_UPDATE_SCREENSHOTS === '1') {
      assert.not.ok(inCI() && !existsSync(SCREENSHOT), `${SCREENSHOT} is not committed`);
      await mkdir('test/fixtures/tree', { recursive: true });
      await writeFile(SCREENSHOT, png);
    }
    const committed = readPng(await readFile(SCREENSHOT));
    const d = looseDistance(img, committed);
    process.stderr.write(`status page: ${(d * 100).toFixed(1)} % of blocks differ from ${SCREENSHOT}\n`);
    assert.ok(d < ALIKE, `the page looks unlike ${SCREENSHOT}: ${(d * 100).toFixed(1)} % of its blocks differ (alike below ${ALIKE * 100} %)`);
    // Teeth: the page without its trees (the background only) does not pass.
    const blank = { width: img.width, height: img.height, grey: new Uint8Array(img.grey.length).fill(img.grey[img.grey.length - 1]!) };
    assert.ok(looseDistance(blank, committed) >= ALIKE, `a blank page would pass (${(looseDistance(blank, committed) * 100).toFixed(1)} %)`);
    const summary = await lab;
    assert.ok(summary.allVerified, summary.failures.join('; '));
  } finally {
    await browser?.close();
    tree.kill('SIGTERM');
    await lab.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }
});

test.run();
