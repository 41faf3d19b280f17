/**
 * The points an increment is restored through, its parent first and its full backup last, from the records of its
 * chain (docs/incremental-backups.md): each point's parent as `parentOf` tells it, until the full backup, or until a
 * point whose parent is not known (its full backup then follows it). Empty for a full backup, or for an increment
 * whose chain is not recorded (no base or parent).
 */
export function chainLinks(point: { base?: string | null; parent?: string | null }, parentOf: (name: string) => string | null | undefined): string[] {
  const { base, parent } = point;
  if (!base || !parent) return [];
  const links: string[] = [];
  // `includes`: a loop in damaged records ends the walk instead of running forever.
  for (let name: string | null | undefined = parent; name && name !== base && !links.includes(name); name = parentOf(name)) links.push(name);
  return [...links, base];
}
