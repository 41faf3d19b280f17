import { useMemo } from 'preact/hooks';
import type { BackupJob, Target } from '../api/client';
import { formatBytes, formatDateTime, formatDuration } from '../format';
import { bytesAdded, failureShare, trendRunsByTarget, type TrendRun } from '../trend-runs';
import { TrendChart } from './TrendChart';

/** "+12.3 KB", "−4 KB", "0 bytes": a change in size with its sign. */
function signedBytes(bytes: number): string {
  if (bytes === 0) return formatBytes(0);
  return `${bytes > 0 ? '+' : '−'}${formatBytes(Math.abs(Math.round(bytes)))}`;
}

function TargetTrend({ target, name, runs }: { target: Target; name: string; runs: TrendRun[] }) {
  const latest = [...runs].reverse().find((r) => r.size !== null);
  const added = bytesAdded(runs);
  const headingId = `trend-${target}`;
  return (
    // A group, not a region: the target's settings card is the region named after it.
    <div class="trend-target" role="group" aria-labelledby={headingId} data-target={target}>
      <h3 id={headingId}>{name}</h3>
      <ul class="trend-facts">
        <li data-fact="latest">{latest ? `Latest archive ${formatBytes(latest.size)} in ${formatDuration(latest.durationMs)}` : 'No successful backup yet'}</li>
        <li data-fact="added">
          {added
            ? `Bytes added per backup: latest ${signedBytes(added.latest)}, average ${signedBytes(added.average)}`
            : 'Bytes added per backup: shown after two successful backups'}
        </li>
        <li data-fact="failures" class={runs.some((r) => r.failure) ? 'trend-failed' : undefined}>
          {failureShare(runs)}
        </li>
      </ul>
      <TrendChart runs={runs} label={name} />
      <details class="trend-table">
        <summary>Show the data as a table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Finished</th>
              <th scope="col">Result</th>
              <th scope="col">Size</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {[...runs].reverse().map((r) => (
              <tr key={`${r.at}-${r.filename}`}>
                <td>{formatDateTime(new Date(r.at).toISOString())}</td>
                <td>{r.failure ? `Failed: ${r.failure.code}, ${r.failure.message}` : 'Succeeded'}</td>
                <td>{formatBytes(r.size)}</td>
                <td>{formatDuration(r.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}

/**
 * Backup trends (the spec's "backup size trending"): for each target, its archive size and backup duration
 * over time with failed runs marked, the bytes each backup added, and the share of runs that failed.
 */
export function SizeTrend({ jobs, ids, nameOf }: { jobs: readonly BackupJob[]; ids: readonly Target[]; nameOf: (id: string) => string }) {
  // The same map until the history is loaded again (after a backup ends), not on every poll of the page.
  const byTarget = useMemo(() => trendRunsByTarget(jobs), [jobs]);
  // The list's order; a target deleted since keeps its runs, after the others.
  const targets = [...new Set([...ids, ...byTarget.keys()])].filter((t) => (byTarget.get(t)?.length ?? 0) > 0);
  if (targets.length === 0) return <p class="muted">The charts appear after the first backup.</p>;
  return (
    <div class="trend">
      {targets.map((t) => (
        <TargetTrend key={t} target={t} name={nameOf(t)} runs={byTarget.get(t) as TrendRun[]} />
      ))}
    </div>
  );
}
