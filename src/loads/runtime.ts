/**
 * A load may carry the board's own runtime: pfs itself, as a release executable. It is
 * an ordinary component (hashed, shared by peers, written to the slot like any other)
 * whose name says which CPU runs it: `pfs-linux-x64`, `pfs-linux-arm64`,
 * `pfs-linux-armv7l`, the names `npm run release` gives them. A name rather than a
 * manifest field, so boards whose runtime predates this share such loads unchanged
 * (pfs-load/1 refuses unknown fields).
 */

/** The CPUs pfs is released for, as Node names them (process.arch), armv7l for 32-bit ARM. */
export type RuntimeArch = 'x64' | 'arm64' | 'armv7l';

export const RUNTIME_ARCHES: readonly RuntimeArch[] = ['x64', 'arm64', 'armv7l'];

/** The component name of the runtime for `arch`. */
export function runtimeComponent(arch: RuntimeArch): string {
  return `pfs-linux-${arch}`;
}

/** The CPU a component name is the runtime for, or undefined when it is no runtime. */
export function runtimeArchOf(name: string): RuntimeArch | undefined {
  const m = /^pfs-linux-(x64|arm64|armv7l)$/.exec(name);
  return m ? (m[1] as RuntimeArch) : undefined;
}

/** The runtime CPU of a Node `process.arch` (`arm` is armv7l), or undefined for one pfs is not released for. */
export function runtimeArchOfNode(nodeArch: string = process.arch): RuntimeArch | undefined {
  if (nodeArch === 'arm') return 'armv7l';
  return (RUNTIME_ARCHES as readonly string[]).includes(nodeArch) ? (nodeArch as RuntimeArch) : undefined;
}
