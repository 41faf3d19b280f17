import { ArchiveCopier } from '../../src/replication/archive-copier.js';
import type { TestApp } from './test-app.js';
import { until } from './until.js';

/** The replication jobs to `target`, newest first. */
export async function replications(t: TestApp, target: string): Promise<any[]> {
  return (await t.http.get(`/api/backup-jobs?kind=replication&target=${target}`).expect(200)).body;
}

/** Waits until `count` replication jobs to `target` have ended; returns them, oldest first. */
export async function endedReplications(t: TestApp, target: string, count: number): Promise<any[]> {
  return until(`${count} ended replications to ${target}`, async () => {
    const jobs = (await replications(t, target)).filter((job) => job.status === 'succeeded' || job.status === 'failed');
    return jobs.length >= count ? jobs.reverse() : undefined;
  });
}

/**
 * Holds every copy into a replica at a gate until `release()`: a large archive on a slow disk, held as long as
 * the test needs. `close()` sets a new gate for the copies that start after it.
 */
export class CopyGate {
  /** Copies that have reached a gate (released or not). */
  waiting = 0;
  private open!: () => void;
  private gate!: Promise<void>;

  constructor(t: TestApp) {
    const copier = t.app.get(ArchiveCopier);
    const copy = copier.copy.bind(copier);
    this.close();
    copier.copy = async (...args) => {
      this.waiting++;
      await this.gate;
      return copy(...args);
    };
  }

  close(): void {
    this.gate = new Promise<void>((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open();
  }
}
