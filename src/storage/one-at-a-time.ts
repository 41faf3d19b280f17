/**
 * The final steps of uploads running now, by place and key: each waits for the one before it. An upload's last
 * step (check that the name is free, then make the object appear) must not interleave with another upload of the
 * same name in this process (a replica's own backup and a copy into it), or both could pass the check.
 */
const finalSteps = new Map<string, Promise<unknown>>();

export function oneAtATime<T>(name: string, work: () => Promise<T>): Promise<T> {
  const before = finalSteps.get(name) ?? Promise.resolve();
  const mine = before.then(work, work);
  const settled = mine.catch(() => undefined);
  finalSteps.set(name, settled);
  void settled.then(() => {
    if (finalSteps.get(name) === settled) finalSteps.delete(name);
  });
  return mine;
}
