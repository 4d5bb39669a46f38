import { parse, type Command } from '../command';
import { UsageError } from '../../errors';
import { generateKeys } from '../../loads/keys';

export const keygenCommand: Command = {
  path: ['keygen'],
  summary: 'make an Ed25519 key pair for signing loads',
  usage: `Usage: pfs keygen OUT

Writes OUT.pem, the private signing key (mode 0600: keep it on the build machine,
never on a board), and OUT.pub.pem, the public key: copy it into the trust/ folder
of every board image. Boards accept only loads signed by a key in their trust/.
Refuses to overwrite an existing key; nothing is written then.

Example:
  pfs keygen site-key
  cp site-key.pub.pem /path/to/board-image/trust/
  pfs pack --load SCCP41.9-4-2SR2-2S --model CP-7961G --key site-key.pem build/*.sbn -o /srv/tftp/`,
  async run({ argv }) {
    const { positionals } = parse(argv, {}, { min: 1, max: 1 });
    const out = positionals[0]!;
    if (out.endsWith('.pem')) throw new UsageError(`give OUT without ".pem" ("${out.slice(0, -4)}"): pfs keygen adds .pem and .pub.pem itself`);
    const k = await generateKeys(out);
    process.stdout.write(
      `private key  ${k.privatePath}  (mode 0600: keep it secret, on the build machine)\n` +
        `public key   ${k.publicPath}\n` +
        `key id       ${k.id}\n\n` +
        `Copy ${k.publicPath} into the trust/ folder of each board image; boards accept only loads signed by keys there.\n`,
    );
    return 0;
  },
};
