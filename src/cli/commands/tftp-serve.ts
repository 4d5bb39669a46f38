import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { intOption, parse, type Command } from '../command';
import { TftpServer } from '../../net/tftp/server';
import { MAX_BLKSIZE, MIN_BLKSIZE } from '../../net/tftp/options';
import { UsageError } from '../../errors';

export const tftpServeCommand: Command = {
  path: ['tftp', 'serve'],
  summary: 'serve a directory read-only over TFTP (the far origin)',
  usage: `Usage: pfs tftp serve DIR [--port N] [--bind ADDR]

Serves the files under DIR, read-only, until interrupted (Ctrl-C). Requests for
anything outside DIR (absolute paths, "..", symlinks leading out) are refused.

Options:
  --port N            UDP port to listen on (default 69; 0 picks a free one)
  --bind ADDR         address to listen on (default 127.0.0.1)
  --max-blksize N     largest blksize granted (default ${MAX_BLKSIZE})
  --max-windowsize N  largest windowsize granted (default 64)
  --timeout MS        retransmission timeout in milliseconds (default 1000)
  --max-transfers N   transfers at once, all clients together (default 64)
  --max-per-client N  transfers at once to one client address (default 8); past
                      either, a request gets ERROR 0 "server busy". A site behind
                      NAT reaches the server from one address: raise this to the
                      number of boards there, or their configuration requests wait`,

  async run({ argv, log }) {
    const { values, positionals } = parse(
      argv,
      {
        port: { type: 'string' },
        bind: { type: 'string' },
        'max-blksize': { type: 'string' },
        'max-windowsize': { type: 'string' },
        timeout: { type: 'string' },
        'max-transfers': { type: 'string' },
        'max-per-client': { type: 'string' },
      },
      { min: 1, max: 1 },
    );
    const root = positionals[0]!;
    const st = await stat(root).catch(() => undefined);
    if (!st?.isDirectory()) throw new UsageError(`"${root}" is not a directory`);
    const server = new TftpServer({
      root,
      port: intOption('port', values.port, 0, 65535) ?? 69,
      bind: values.bind ?? '127.0.0.1',
      maxBlksize: intOption('max-blksize', values['max-blksize'], MIN_BLKSIZE, MAX_BLKSIZE),
      maxWindowsize: intOption('max-windowsize', values['max-windowsize'], 1, 65535),
      timeoutMs: intOption('timeout', values.timeout, 1, 255_000),
      maxTransfers: intOption('max-transfers', values['max-transfers'], 1, 65535),
      maxPerClient: intOption('max-per-client', values['max-per-client'], 1, 65535),
      logger: log.child('TFTP'),
    });
    // A port that cannot be had is PFS_ERR_TFTP_NETWORK: main logs it with its code (exit 1).
    await server.start();
    const { port, address } = server.address();
    process.stdout.write(`listening on ${address}:${port}\n`);
    await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    await server.stop();
    log.inf('stopped', { transfers: server.stats.transfers, bytes: server.stats.bytesSent });
    return 0;
  },
};
