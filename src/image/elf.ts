// Which CPU an executable is for, from its ELF header: pfs image puts on a board only
// an executable its CPU can run.

/** The CPUs pfs is released for, named as Node names them (process.arch), armv7l for 32-bit ARM. */
export type Arch = 'x64' | 'arm64' | 'armv7l';

const MACHINES: Record<number, Arch> = { 0x3e: 'x64', 0xb7: 'arm64', 0x28: 'armv7l' };

/** The CPU of an ELF file's first bytes (at least 20), or undefined when it is no ELF file or for another CPU. */
export function elfArch(head: Buffer): Arch | undefined {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const little = head[5] === 1;
  return MACHINES[little ? head.readUInt16LE(18) : head.readUInt16BE(18)];
}

/** What `file` would call the machine, for messages. */
export function describeElf(head: Buffer): string {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return 'not an ELF executable';
  const m = head[5] === 1 ? head.readUInt16LE(18) : head.readUInt16BE(18);
  return elfArch(head) ? `an ELF executable for ${elfArch(head)}` : `an ELF executable for machine 0x${m.toString(16)}`;
}
