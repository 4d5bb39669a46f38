// A lab of boot boards on loopback for the tests, on ports of its own (the advert port,
// then one per board, free when asked), all of one model unless told otherwise.
import type { LabOptions } from '../../src/lab/lab';
import { freePortRange } from '../helpers/net';

export async function bootLabOptions(over: Partial<LabOptions>): Promise<LabOptions> {
  const boards = over.boards ?? 4;
  const first = await freePortRange(boards + 1);
  return {
    boards, size: 1 << 20, files: 2, mode: 'pfs', forward: 'cut', wanRate: 50e6, wanRttMs: 40, wanLoss: 0,
    tftpBlksize: 1468, tftpWindow: 64, perProcess: 0, portBase: first + 1, broadcast: { addr: '127.255.255.255', port: first },
    model: 'CP-7961G', logLevel: 'INF', keep: false, timeoutMs: 60_000, engine: false,
    models: [{ model: 'CP-7961G', count: boards }], pfsOff: 0, boardsDir: 'boards',
    ...over,
  };
}
