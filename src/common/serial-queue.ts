import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Runs pieces of work one at a time, in the order they came. Work started from inside a running piece runs
 * at once (it already holds the turn): a change that reads, checks and writes through another service sharing
 * the queue must not wait for itself.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly inside = new AsyncLocalStorage<boolean>();

  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.inside.getStore()) return work();
    const turn = () => this.inside.run(true, work);
    const run = this.tail.then(turn, turn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
