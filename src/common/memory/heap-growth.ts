import v8 from 'node:v8';
import { type Collector, v8Collector } from './buffer-churn.js';

/** The old generation's growing factor while a backup runs: collected once it has grown by a fifth. */
export const TIGHT_GROWING_PERCENT = 20;

/** Sets V8's --heap-growing-percent for the whole process (every thread's heap); 0 is V8's own, dynamic factor. */
export type GrowingPercentSetter = (percent: number) => void;

/** The V8 option that sets the factor (0: V8's own). */
export function growingPercentFlag(percent: number): string {
  return `--heap-growing-percent=${percent}`;
}

const setGrowingPercent: GrowingPercentSetter = (percent) => v8.setFlagsFromString(growingPercentFlag(percent));

/**
 * V8's heap growing factor, tight while a backup runs and V8's own otherwise (bench/results-notes.md, stop 38).
 *
 * Why tight during backups: V8 sets the next full collection of the old generation at up to a few times the heap
 * that survived the last one, so each backup's garbage stayed until the heap had grown by tens of MB, and backups
 * made one after another peaked higher each time. A factor of 1.2 keeps that garbage to a fifth of the heap.
 *
 * Why only then: the same factor made every restore staging 30-45 % slower (a full collection of the service's
 * thread every few MB of a restore's stream). A restore in a process that has made no backup since it started
 * (after a restart, as disaster restores usually are) now runs at V8's own pace; once a backup has run, restores in
 * that process are as slow as under the flag throughout (measured, cause not known: bench/results-notes.md, stop 38).
 *
 * The flag is read by V8 each time it sets a heap's next limit, so it can change at run time. The first hold also
 * asks for one full collection of this thread, so that the backup does not start under a limit a restore or an
 * idle hour left high. Holds are counted: two backups on two targets at once keep it tight until both have ended.
 * One per process (CommonModule provides it by a factory: its constructor's parameters are for tests).
 */
export class HeapGrowth {
  private holds = 0;

  constructor(
    private readonly setPercent: GrowingPercentSetter = setGrowingPercent,
    private readonly collect: Collector | null = v8Collector(),
  ) {}

  /** Whether a hold is on (the factor is tight). */
  get tight(): boolean {
    return this.holds > 0;
  }

  /** Tight until the returned release is called (once; later calls do nothing). */
  tighten(): () => void {
    if (this.holds++ === 0) {
      this.setPercent(TIGHT_GROWING_PERCENT);
      this.collect?.();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0) this.setPercent(0);
    };
  }
}
