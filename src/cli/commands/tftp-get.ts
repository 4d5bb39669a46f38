import { basename } from 'node:path';
import { hostPort, intOption, parse, type Command } from '../command';
import { tftpGet, tftpGetToFile, type TftpGetOptions } from '../../net/tftp/client';
import { MAX_BLKSIZE, MAX_WINDOWSIZE, MIN_BLKSIZE } from '../../net/tftp/options';
import { ProgressBar } from '../progress';
import { TftpTimeoutError } from '../../net/tftp/errors';
import { formatRate } from '../../units/format';

export const tftpGetCommand: Command = {
  path: ['tftp', 'get'],
  summary: 'download a file from a TFTP server',
  usage: `Usage: pfs tftp get HOST[:PORT] FILE [-o OUT] [--blksize N] [--windowsize N]

Downloads FILE (octet mode) and writes it to OUT (default: the file's base name in
the current directory). The file appears only once it is complete.

Options:
  -o, --output OUT      where to write the file ("-" for standard output)
  --blksize N           bytes per packet to ask for, ${MIN_BLKSIZE}..${MAX_BLKSIZE} (RFC 2348; default 512)
  --windowsize N        packets per ACK to ask for, 1..${MAX_WINDOWSIZE} (RFC 7440; default 1)
  --timeout MS          retransmission timeout in milliseconds (default 1000)
  --retries N           retransmissions of one packet before giving up (default 5;
                        the wait doubles each time)
  --answer-within SECONDS  give up if the server has not answered the request by
                        then (default 3: with nobody there, it fails in 3 s)
  --deadline SECONDS    give up if the whole transfer takes longer

Example:
  pfs tftp get 127.0.0.1:6969 SCCP41.9-4-2SR2-2S.loads --blksize 1428 --windowsize 16`,

  async run({ argv, log }) {
    const { values, positionals } = parse(
      argv,
      {
        output: { type: 'string', short: 'o' },
        blksize: { type: 'string' },
        windowsize: { type: 'string' },
        timeout: { type: 'string' },
        retries: { type: 'string' },
        deadline: { type: 'string' },
        'answer-within': { type: 'string' },
      },
      { min: 2, max: 2 },
    );
    const { host, port } = hostPort(positionals[0]!, 69);
    const file = positionals[1]!;
    const out = values.output ?? basename(file);
    const deadline = intOption('deadline', values.deadline, 1, 86_400);
    // The retries are for a transfer under way (a lossy link); a server that never
    // answers at all should not take their 31 s to be noticed.
    const answerWithin = intOption('answer-within', values['answer-within'], 1, 3600) ?? 3;
    const noAnswer = new AbortController();
    const opts = {
      host,
      port,
      file,
      blksize: intOption('blksize', values.blksize, MIN_BLKSIZE, MAX_BLKSIZE),
      windowsize: intOption('windowsize', values.windowsize, 1, MAX_WINDOWSIZE),
      timeoutMs: intOption('timeout', values.timeout, 1, 255_000),
      retries: intOption('retries', values.retries, 0, 100),
      deadlineMs: deadline === undefined ? undefined : deadline * 1000,
      logger: log.child('TFTP'),
      signal: noAnswer.signal,
    };
    let answered = false;
    const silence = setTimeout(() => {
      if (!answered) noAnswer.abort(new TftpTimeoutError(`${host}:${port}`, file, `no answer within ${answerWithin} s (--answer-within)`));
    }, answerWithin * 1000);
    const bar = new ProgressBar(process.stderr, basename(file));
    const progress = (b: number, t?: number) => {
      answered = true;
      bar.update(b, t);
    };
    const res = await (out === '-' ? toStdout(opts, progress) : tftpGetToFile(opts, out, progress))
      .catch((e: unknown) => {
        // The transfer reports our abort as PFS_ERR_TFTP_ABORTED; it is a timeout.
        throw noAnswer.signal.aborted && !answered ? noAnswer.signal.reason : e;
      })
      .finally(() => {
        clearTimeout(silence);
        bar.done();
      });
    const line = `${file}: ${res.bytes} bytes in ${res.seconds.toFixed(3)} s (${formatRate(res.bytes, res.seconds)})`;
    if (out === '-') process.stderr.write(line + '\n');
    else process.stdout.write(line + '\n');
    return 0;
  },
};

/** `-o -`: blocks go to standard output as they arrive; a slow reader holds back the ACKs. */
async function toStdout(opts: TftpGetOptions, progress: (bytes: number, total?: number) => void): Promise<{ bytes: number; seconds: number }> {
  const started = performance.now();
  const dl = tftpGet(opts);
  let total: number | undefined;
  dl.negotiated.then((n) => {
    total = n.tsize;
    progress(0, total);
  }, () => {});
  const onDrain = () => dl.resume();
  process.stdout.on('drain', onDrain);
  try {
    await dl.deliver((b) => {
      progress(dl.bytes, total);
      return process.stdout.write(b);
    });
  } finally {
    process.stdout.off('drain', onDrain);
  }
  return { bytes: dl.bytes, seconds: (performance.now() - started) / 1000 };
}
