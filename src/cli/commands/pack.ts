import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, type Command } from '../command';
import { UsageError } from '../../errors';
import { packLoad } from '../../loads/pack';
import { formatBytes } from '../units';

export const packCommand: Command = {
  path: ['pack'],
  summary: 'sign a load: write its .loads manifest beside the component files',
  usage: `Usage: pfs pack --load NAME --model MODEL --key KEY.pem FILE... -o OUT/

Hashes each component (SHA-256 of the file and of every 64 KiB block), copies it
into OUT/ and writes OUT/NAME.loads, signed with KEY.pem. A FILE may be a folder:
its *.sbn files are taken. Prints the <pfsLoad> element to put in the device
configuration (cnf.xml), which lets boards check the manifest they get from a peer.

Options:
  --load NAME    load name, e.g. SCCP41.9-4-2SR2-2S
  --model MODEL  the phone model the load is for, e.g. CP-7961G
  --key FILE     Ed25519 private key (pfs keygen)
  -o, --out DIR  where the load is written (the TFTP server's folder)

Example:
  pfs pack --load SCCP41.9-4-2SR2-2S --model CP-7961G --key site-key.pem build/*.sbn -o /srv/tftp/`,
  async run({ argv }) {
    const { values, positionals } = parse(
      argv,
      { load: { type: 'string' }, model: { type: 'string' }, key: { type: 'string' }, out: { type: 'string', short: 'o' } },
      { min: 1, max: Infinity },
    );
    for (const need of ['load', 'model', 'key', 'out'] as const) if (!values[need]) throw new UsageError(`--${need} is required`);
    const files: string[] = [];
    for (const p of positionals) {
      const st = await stat(p).catch(() => undefined);
      if (st?.isDirectory()) files.push(...(await readdir(p)).filter((n) => n.endsWith('.sbn')).sort().map((n) => join(p, n)));
      else files.push(p);
    }
    if (files.length === 0) throw new UsageError('no component files (a folder argument had no *.sbn)');
    const r = await packLoad({ load: values.load!, model: values.model!, keyPath: values.key!, outDir: values.out!, files });
    for (const f of r.manifest.files) process.stdout.write(`  ${f.name}  ${formatBytes(f.size)}  sha256 ${f.sha256.slice(0, 16)}…\n`);
    process.stdout.write(`wrote ${r.manifestPath} (${r.size} bytes, ${r.manifest.files.length} components)\n\n`);
    process.stdout.write(`Put this inside <device> of the cnf.xml files for ${values.model}:\n`);
    process.stdout.write(`  <pfsLoad model="${values.model}" size="${r.size}" sha256="${r.sha256}">${values.load}</pfsLoad>\n`);
    return 0;
  },
};
