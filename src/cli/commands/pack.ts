import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse, type Command } from '../command';
import { PfsError, UsageError } from '../../errors';
import { packLoad } from '../../loads/pack';
import { formatBytes } from '../../units/format';
import { loadModels } from '../../profiles';
import { isPlainName } from '../../loads/validate';
import { runtimeArchOf, runtimeComponent, type RuntimeArch } from '../../loads/runtime';
import { describeElf, elfArch } from '../../image/elf';
import { defaultBoardsDir } from './boot';

export const packCommand: Command = {
  path: ['pack'],
  summary: 'sign a load: write its .loads manifest beside the component files',
  usage: `Usage: pfs pack --load NAME --model MODEL --key KEY.pem [--runtime EXE[,EXE]] FILE... -o OUT/

Hashes each component (SHA-256 of the file and of every 64 KiB block), copies it
into OUT/ (unless it is there already) and writes OUT/NAME.loads, signed with
KEY.pem. A FILE may be a folder: its *.sbn files are taken. Then prints the
<pfsLoad> element for the device configuration (cnf.xml): with it, boards can check
the manifest when it reaches them from a peer, and its files="…" lets the root ask
for the components while the manifest is still on its way.

Options:
  --load NAME     load name, e.g. SCCP41.9-4-2SR2-2S (letters, digits, . _ + -)
  --model MODEL   the phone model the load is for, e.g. CP-7961G
  --key FILE      Ed25519 private key (made by pfs keygen)
  -o, --out DIR   where the load is written: the TFTP server's folder
  --created TIME  ISO 8601 time to record (default now); the same inputs, key and
                  time give a byte-identical manifest
  --force         replace what another load in OUT/ depends on (its manifest, or a
                  component it lists with other content); refused without it
  --boards-dir DIR  where the model files are (default: beside pfs)
  --runtime EXE[,EXE]  carry pfs itself in the load: release executables (npm run
                  release), each packed as pfs-linux-ARCH for the CPU its ELF header
                  names (x64, arm64, armv7l); boards of that CPU run it after the
                  reboot, on trial (docs/INSTALL.md, "Rolling back"). A file that is
                  no ELF executable (a script) must be named pfs-linux-ARCH already

Refused (exit 2, nothing written): a model with no profile in boards/models, a load
name that does not start with the model family's prefix (SCCP41 for CP-7961G),
and, without --force, a manifest of another model or load in OUT/ under the same
name, or a component that another load in OUT/ lists with other content. Two models
of one family (CP-7961G, CP-7941G) take one load name each:
  pfs pack --load SCCP41.9-4-2SR2-2S-7941G --model CP-7941G --key site-key.pem build/ -o /srv/tftp/

Example:
  pfs keygen site-key
  pfs pack --load SCCP41.9-4-2SR2-2S --model CP-7961G --key site-key.pem build/*.sbn -o /srv/tftp/
  pfs pack --load SCCP41.9-4-3-7961G --model CP-7961G --key site-key.pem \\
    --runtime dist/release/pfs-linux-arm64,dist/release/pfs-linux-armv7l build/ -o /srv/tftp/`,
  async run({ argv }) {
    const { values, positionals } = parse(
      argv,
      {
        load: { type: 'string' },
        model: { type: 'string' },
        key: { type: 'string' },
        out: { type: 'string', short: 'o' },
        created: { type: 'string' },
        force: { type: 'boolean' },
        'boards-dir': { type: 'string' },
        runtime: { type: 'string' },
      },
      { min: 0, max: Infinity },
    );
    for (const need of ['load', 'model', 'key', 'out'] as const) if (!values[need]) throw new UsageError(`--${need} is required`);
    // A load for a model no board knows (--model CP-0000), or named for another family, would reach no board.
    const models = await loadModels(values['boards-dir'] ?? defaultBoardsDir());
    const profile = models.get(values.model!);
    if (!profile) throw new UsageError(`--model ${values.model}: no such phone model (models: ${[...models.keys()].join(', ')})`);
    if (isPlainName(values.load) && !values.load.startsWith(profile.loadPrefix)) {
      throw new UsageError(`--load ${values.load}: a load for ${profile.model} starts with ${profile.loadPrefix}, its family's prefix (e.g. ${profile.loadPrefix}.9-4-2SR2-2S)`);
    }
    const runtimes = values.runtime === undefined ? [] : await Promise.all(values.runtime.split(',').filter(Boolean).map(runtimeOf));
    if (positionals.length === 0 && runtimes.length === 0) throw new UsageError('missing arguments: give at least one component FILE, or --runtime EXE');
    const files: string[] = [];
    for (const p of positionals) {
      const st = await stat(p).catch(() => undefined);
      if (st?.isDirectory()) {
        const sbn = (await readdir(p)).filter((n) => n.endsWith('.sbn')).sort();
        if (sbn.length === 0) throw new UsageError(`folder ${p} has no *.sbn files`);
        files.push(...sbn.map((n) => join(p, n)));
      } else files.push(p);
    }
    let r;
    try {
      r = await packLoad({ load: values.load!, model: values.model!, keyPath: values.key!, outDir: values.out!, files, runtimes, created: values.created, force: values.force });
    } catch (e) {
      // Refused input (names, files, the key) is a usage error; a failed write is not.
      if (e instanceof PfsError && (e.code === 'PFS_ERR_PACK' || e.code === 'PFS_ERR_KEY')) throw new UsageError(e.message);
      throw e;
    }
    const m = r.manifest;
    const width = Math.max(...m.files.map((f) => f.name.length));
    let text = `packed ${m.load} for ${m.model}: ${m.files.length} component${m.files.length === 1 ? '' : 's'} in ${values.out}\n`;
    for (const f of m.files) text += `  ${f.name.padEnd(width)}  ${formatBytes(f.size).padStart(10)}  sha256 ${f.sha256}\n`;
    text += `wrote ${r.manifestPath} (${r.size} bytes, signed by key ${r.keyId})\n\n`;
    text += `Put these inside <device> of the cnf.xml files for ${m.model} (<Default> in XMLDefault.cnf.xml):\n`;
    text += `  <loadInformation model="${m.model}">${m.load}</loadInformation>\n`;
    text += `  <pfsLoad model="${m.model}" size="${r.size}" sha256="${r.sha256}" files="${m.files.map((f) => f.name).join(' ')}">${m.load}</pfsLoad>\n`;
    process.stdout.write(text);
    return 0;
  },
};

/** The CPU a --runtime file is for: its ELF header's, else (a stand-in script) its name's. */
async function runtimeOf(path: string): Promise<{ path: string; arch: RuntimeArch }> {
  const head = Buffer.alloc(20);
  let got = 0;
  try {
    const fh = await open(path, 'r');
    try {
      got = (await fh.read(head, 0, 20, 0)).bytesRead;
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new UsageError(`--runtime ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const bytes = head.subarray(0, got);
  const arch = elfArch(bytes) ?? (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x7f454c46 ? undefined : runtimeArchOf(basename(path)));
  if (!arch) {
    throw new UsageError(`--runtime ${path}: ${describeElf(bytes)}; pfs runs on x64, arm64 and armv7l (a stand-in script must be named ${runtimeComponent('arm64')} or the like)`);
  }
  return { path, arch };
}
