import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Runs pieces of work one at a time, in the order they came. Work started from inside a running piece runs
 * at once (it already holds the turn): a change that reads, checks and writes through another service sharing
 * the queue must not wait for itself. Only while the piece runs: something it set off that goes on after it
 * ended (an event's listener) waits its turn like any other.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly turn = new AsyncLocalStorage<{ running: boolean }>();

  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.turn.getStore()?.running) return work();
    const take = async () => {
      const held = { running: true };
      try {
        return await this.turn.run(held, work);
      } finally {
        held.running = false;
      }
    };
    const run = this.tail.then(take, take);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
