import { useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { BackupJob, Target } from '../api/client';
import { formatBytes, formatDateTime, formatDuration } from '../format';

/** The built-ins keep their colours; added targets take the next of the others, in the order of the target list. */
const COLORS: Record<string, string> = { r2: '#d9650b', local: '#1d5fbf' };
const MORE_COLORS = ['#15803d', '#7c3aed', '#be123c', '#0e7490', '#a16207', '#4b5563'];

function colorOf(target: Target, targets: readonly Target[]): string {
  const added = targets.filter((t) => !(t in COLORS));
  return COLORS[target] ?? (MORE_COLORS[added.indexOf(target) % MORE_COLORS.length] as string);
}

interface Run {
  at: number; // seconds since the epoch
  target: Target;
  size: number;
  durationMs: number | null;
  filename: string | null;
}

function finishedRuns(jobs: readonly BackupJob[]): Run[] {
  return jobs
    .filter((j) => j.status === 'succeeded' && j.size_bytes !== null && j.finished_at)
    .map((j) => ({
      at: Math.floor(Date.parse(j.finished_at as string) / 1000),
      target: j.target,
      size: j.size_bytes as number,
      durationMs: j.duration_ms,
      filename: j.filename,
    }))
    .filter((r) => Number.isFinite(r.at))
    .sort((a, b) => a.at - b.at);
}

/** uPlot wants one x array shared by all series: a run fills its target's columns, the other target's stay empty. */
function alignedData(runs: Run[], targets: Target[]): uPlot.AlignedData {
  const xs = runs.map((r) => r.at);
  const size = targets.map((t) => runs.map((r) => (r.target === t ? r.size : null)));
  const duration = targets.map((t) => runs.map((r) => (r.target === t && r.durationMs !== null ? r.durationMs / 1000 : null)));
  return [xs, ...size, ...duration];
}

function chartOptions(width: number, targets: Target[], nameOf: (id: string) => string): uPlot.Options {
  const sizeSeries: uPlot.Series[] = targets.map((t) => ({
    label: `${nameOf(t)}: size`,
    scale: 'bytes',
    stroke: colorOf(t, targets),
    width: 2,
    spanGaps: true,
    points: { show: true, size: 6, fill: colorOf(t, targets) },
    value: (_u, v) => (v === null ? '–' : formatBytes(v)),
  }));
  const durationSeries: uPlot.Series[] = targets.map((t) => ({
    label: `${nameOf(t)}: duration`,
    scale: 'seconds',
    stroke: colorOf(t, targets),
    width: 1.5,
    dash: [5, 4],
    spanGaps: true,
    points: { show: true, size: 4 },
    value: (_u, v) => (v === null ? '–' : formatDuration(v * 1000)),
  }));
  const axisStyle = { stroke: '#4b5563', grid: { stroke: '#e5e7eb', width: 1 }, ticks: { stroke: '#e5e7eb', width: 1 } };
  return {
    width,
    height: 260,
    cursor: { drag: { x: false, y: false } },
    legend: { live: false },
    scales: {
      x: { time: true },
      bytes: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
      seconds: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
    },
    series: [{}, ...sizeSeries, ...durationSeries],
    axes: [
      { ...axisStyle },
      { ...axisStyle, scale: 'bytes', size: 72, label: 'Archive size', values: (_u, ticks) => ticks.map((t) => (t === 0 ? '0' : formatBytes(t))) },
      {
        ...axisStyle,
        scale: 'seconds',
        side: 1,
        size: 60,
        label: 'Duration',
        grid: { show: false },
        values: (_u, ticks) => ticks.map((t) => (t === 0 ? '0' : formatDuration(t * 1000))),
      },
    ],
  };
}

/** Archive size and backup duration over the run history (the spec's "backup size trending"), a line per target. */
export function SizeTrend({ jobs, ids, nameOf }: { jobs: readonly BackupJob[]; ids: readonly Target[]; nameOf: (id: string) => string }) {
  const container = useRef<HTMLDivElement>(null);
  // The same arrays until the history is loaded again (after a backup ends), so the chart is not rebuilt on every poll of the page.
  const runs = useMemo(() => finishedRuns(jobs), [jobs]);
  // The list's order; a target deleted since keeps its runs, after the others.
  // Strings, not the arrays and function (new on each render), so a poll does not rebuild the chart.
  const order = ids.join(' ');
  const targets = useMemo(
    () => [...new Set([...order.split(' '), ...runs.map((r) => r.target)])].filter((t) => runs.some((r) => r.target === t)),
    [runs, order],
  );
  const names = targets.map(nameOf).join('\n');

  useEffect(() => {
    const element = container.current;
    if (!element || runs.length === 0) return;
    const label = new Map(targets.map((t, i) => [t, names.split('\n')[i] ?? t]));
    const chart = new uPlot(
      chartOptions(Math.max(element.clientWidth, 240), targets, (t) => label.get(t) ?? t),
      alignedData(runs, targets),
      element,
    );
    const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(element.clientWidth, 240), height: 260 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [runs, targets, names]);

  if (runs.length === 0) return <p class="muted">The chart appears after the first successful backup.</p>;

  const first = runs[0] as Run;
  const last = runs[runs.length - 1] as Run;
  const latest = targets.map((t) => [...runs].reverse().find((r) => r.target === t) as Run);
  return (
    <div class="trend">
      <p class="trend-summary">
        {latest.map((r) => (
          <span key={r.target} class="trend-latest">
            <span class="swatch" style={{ background: colorOf(r.target, targets) }} aria-hidden="true" /> {nameOf(r.target)}: latest {formatBytes(r.size)} in{' '}
            {formatDuration(r.durationMs)}
          </span>
        ))}
      </p>
      <div
        ref={container}
        class="chart"
        role="img"
        aria-label={`Chart of archive size (solid lines) and backup duration (dashed lines) for ${runs.length} backups from ${formatDateTime(new Date(first.at * 1000).toISOString())} to ${formatDateTime(new Date(last.at * 1000).toISOString())}`}
      />
      <details class="trend-table">
        <summary>Show the data as a table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Finished</th>
              <th scope="col">Target</th>
              <th scope="col">Size</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {[...runs].reverse().map((r) => (
              <tr key={`${r.target}-${r.at}-${r.filename}`}>
                <td>{formatDateTime(new Date(r.at * 1000).toISOString())}</td>
                <td>{nameOf(r.target)}</td>
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
