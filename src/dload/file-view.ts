import type { FileSession, Role } from './session';

/**
 * One board's view of one file, the same from either shell (PeerNode.status() on
 * sockets, Simulation.status() in the simulator): what a technician or a test reads.
 * Byte counts are bytes; ids are XIDs.
 */
export interface FileView {
  name: string;
  role: Role;
  size: number;
  /** Bytes verified and on flash, from the start of the file. */
  verifiedBytes: number;
  complete: boolean;
  parentId: number | null;
  rootId: number | null;
  /** Hops below the root (root = 0). */
  depth: number;
  children: number;
  /** Most children this board served at once for this file. */
  maxChildren: number;
  /** Blocks that failed their hash (from a parent or the origin). */
  corruptBlocks: number;
  /** Bytes already verified on flash when this board started on the file (a resume). */
  resumedBytes: number;
  /** Times this board claimed root for the file (sent ClaimRoot): 0 for most boards of a fleet; absent where no election runs (plain TFTP). */
  claims?: number;
}

/** The view of `s` for board `nodeId`, which had `resumedBytes` on flash when it started. */
export function fileView(s: FileSession, nodeId: number, resumedBytes: number): FileView {
  return {
    name: s.spec.name,
    role: s.role,
    size: s.spec.size,
    verifiedBytes: s.heldBytes,
    complete: s.complete,
    parentId: s.parent?.id ?? null,
    rootId: s.role === 'root' ? nodeId : (s.root?.id ?? null),
    depth: s.depth,
    children: s.children.size,
    maxChildren: s.stats.maxChildren,
    corruptBlocks: s.stats.corruptBlocks,
    resumedBytes,
    claims: s.stats.claims,
  };
}
