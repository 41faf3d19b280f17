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
