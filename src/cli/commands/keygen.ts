import { parse, type Command } from '../command';
import { generateKeys } from '../../loads/keys';

export const keygenCommand: Command = {
  path: ['keygen'],
  summary: 'make an Ed25519 key pair for signing loads',
  usage: `Usage: pfs keygen OUT

Writes OUT.pem (the private signing key, mode 0600: keep it on the build machine,
never on a board) and OUT.pub.pem (the public key: copy it into the trust/ folder
of every board image). Refuses to overwrite an existing key.

Example:
  pfs keygen site-key && cp site-key.pub.pem /path/to/board-image/trust/`,
  async run({ argv }) {
    const { positionals } = parse(argv, {}, { min: 1, max: 1 });
    const k = await generateKeys(positionals[0]!);
    process.stdout.write(`private key ${k.privatePath} (keep it secret)\npublic key  ${k.publicPath} (copy into each board's trust/ folder)\nkey id      ${k.id}\n`);
    return 0;
  },
};
