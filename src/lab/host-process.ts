import { getHeapSpaceStatistics } from 'node:v8';
import { BoardHost } from './board-host';
import type { FromHost, ToHost } from './types';

/**
 * The body of a forked lab process: hosts the boards the lab hands it and reports
 * their progress over IPC until told to stop.
 */
export async function runHostProcess(): Promise<number> {
  const send = (m: FromHost) => process.send?.(m);
  if (!process.send) {
    process.stderr.write('pfs lab-host is started by "pfs lab", not by hand\n');
    return 2;
  }
  let host: BoardHost | undefined;
  let reporter: NodeJS.Timeout | undefined;
  let peakRss = 0;
  let peakYoung = 0;
  const report = () => {
    if (!host) return;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakYoung = Math.max(peakYoung, getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0);
    send({ type: 'report', boards: host.reports(), rss: peakRss, young: peakYoung });
  };
  return new Promise<number>((resolve) => {
    process.on('message', async (m: ToHost) => {
      if (m.type === 'start') {
        host = new BoardHost(m.fleet, m.boards);
        await host.start();
        send({ type: 'ready' });
      } else if (m.type === 'go') {
        host?.go(m.t0);
        reporter = setInterval(report, 200);
      } else if (m.type === 'stop') {
        clearInterval(reporter);
        report();
        await host?.stop();
        process.disconnect?.();
        resolve(0);
      }
    });
    // The lab went away (crashed, killed): don't linger as an orphan.
    process.on('disconnect', () => resolve(0));
  });
}
