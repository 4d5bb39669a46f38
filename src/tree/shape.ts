import type { TreeSnapshot } from './model';

/**
 * What makes a change worth a line of `pfs tree --json`: roots, parents, roles and
 * states, not bytes and rates (those change with every block).
 */
export function shapeOf(s: TreeSnapshot): string {
  return JSON.stringify(
    s.hierarchies.map((h) => [h.key, h.file, h.root?.id ?? null, h.boards.map((b) => [b.id, b.role, b.state, b.parent, b.depth])]),
  );
}
