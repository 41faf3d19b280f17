import { useEffect, useRef, useState } from 'preact/hooks';
import { formatBytes, formatDuration } from '../format';
import { durationTickLabels, LOG_SCALE_SPREAD, linearScale, logScale, type Scale, sizeTickLabels, spread, timeAxis } from '../trend-scale';
import type { TrendRun } from '../trend-runs';

const HEIGHT = 240;
/** Room for the size labels (left), the duration labels (right), and the time labels with the date below. */
const MARGIN = { left: 64, right: 58, top: 12, bottom: 46 };
/** Below this plot width the time axis gets fewer ticks, so the labels never overlap. */
const PX_PER_TIME_TICK = 84;
/** Hundreds of runs: smaller marks, so the line stays readable. */
const MANY_RUNS = 60;

type Series = 'size' | 'duration' | 'failures';

const failedAt = (locale?: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });

/** The legend's sample of a series: the line's style and mark, so size and duration differ without colour. */
function LegendSample({ series }: { series: Series }) {
  return (
    <svg class="legend-sample" width="28" height="12" viewBox="0 0 28 12" aria-hidden="true">
      {series === 'size' && (
        <>
          <line x1="0" y1="6" x2="28" y2="6" class="trend-size-line" />
          <circle cx="14" cy="6" r="3.5" class="trend-size-dot" />
        </>
      )}
      {series === 'duration' && (
        <>
          <line x1="0" y1="6" x2="28" y2="6" class="trend-duration-line" />
          <rect x="11" y="3" width="6" height="6" class="trend-duration-dot" />
        </>
      )}
      {series === 'failures' && <path d="M10 2 L18 10 M18 2 L10 10" class="trend-failure" />}
    </svg>
  );
}

/** A legend entry that shows or hides a series (`series`, struck through when hidden), or an option such as the log scale. */
function Toggle({
  pressed,
  onToggle,
  series = true,
  children,
}: {
  pressed: boolean;
  onToggle: () => void;
  series?: boolean;
  children: preact.ComponentChildren;
}) {
  return (
    <button type="button" class={series ? 'legend-toggle legend-series' : 'legend-toggle'} aria-pressed={pressed} onClick={onToggle}>
      {children}
    </button>
  );
}

/** "M x y L x y ...": the line through the points that have a value. */
function pathThrough(points: Array<[number, number]>): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`).join(' ');
}

/**
 * One target's backups over time as an inline SVG: the archive size as a solid line with round dots (left
 * axis), the duration as a dashed line with squares (right axis), failed runs as red crosses on the time
 * axis, each named for a screen reader. The legend's entries are buttons that show and hide a series, and
 * offer a log scale when a few archives dwarf the others.
 */
export function TrendChart({ runs, label, locale }: { runs: readonly TrendRun[]; label: string; locale?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(640);
  const [shown, setShown] = useState<Record<Series, boolean>>({ size: true, duration: true, failures: true });
  const [log, setLog] = useState(false);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const measure = () => setWidth(Math.max(200, Math.floor(element.clientWidth)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const sizes = runs.filter((r) => r.size !== null).map((r) => r.size as number);
  // A failed run's duration is the time until it failed, not a backup's: it is left out of the line.
  const timed = runs.filter((r) => r.durationMs !== null && !r.failure);
  const durations = timed.map((r) => r.durationMs as number);
  const failures = runs.filter((r) => r.failure);
  const wide = spread(sizes) > LOG_SCALE_SPREAD;
  const useLog = wide && log;

  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const time = timeAxis(
    runs.map((r) => r.at),
    Math.max(2, Math.floor(plotWidth / PX_PER_TIME_TICK)),
    locale,
  );
  const sizeScale: Scale = useLog ? logScale(sizes) : linearScale(sizes);
  const durationScale = linearScale(durations);
  const x = (at: number) => MARGIN.left + time.position(at) * plotWidth;
  const y = (scale: Scale, value: number) => MARGIN.top + (1 - scale.position(value)) * plotHeight;
  const bottom = MARGIN.top + plotHeight;
  const small = runs.length > MANY_RUNS;
  const toggle = (series: Series) => setShown((current) => ({ ...current, [series]: !current[series] }));
  const sizeLabels = sizeTickLabels(sizeScale.ticks, locale, sizeScale.log);
  const durationLabels = durationTickLabels(durationScale.ticks, locale);
  const named = failedAt(locale);

  return (
    <div class="trend-chart">
      <div class="trend-legend" role="group" aria-label={`Series shown in the chart of ${label}`}>
        <Toggle pressed={shown.size} onToggle={() => toggle('size')}>
          <LegendSample series="size" /> Archive size
        </Toggle>
        <Toggle pressed={shown.duration} onToggle={() => toggle('duration')}>
          <LegendSample series="duration" /> Duration
        </Toggle>
        {failures.length > 0 && (
          <Toggle pressed={shown.failures} onToggle={() => toggle('failures')}>
            <LegendSample series="failures" /> Failed runs
          </Toggle>
        )}
        {wide && (
          <Toggle pressed={log} onToggle={() => setLog(!log)} series={false}>
            Log scale
          </Toggle>
        )}
      </div>
      {wide && (
        <p class="muted trend-hint">
          The archives range from {formatBytes(Math.min(...sizes))} to {formatBytes(Math.max(...sizes))}, more than {LOG_SCALE_SPREAD} times apart:
          {log ? ' the size axis is logarithmic, so the small ones show too.' : ' a log scale shows the small ones too.'}
        </p>
      )}
      <div ref={box} class="trend-plot">
        <svg
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          role="group"
          aria-label={`${label}: archive size (solid line, round dots, left axis${useLog ? ', logarithmic' : ''}) and duration (dashed line, squares, right axis) of ${runs.length} ${runs.length === 1 ? 'backup' : 'backups'}, ${time.caption}`}
        >
          <g class="trend-grid" aria-hidden="true">
            {shown.size &&
              sizeScale.ticks.map((t, i) => (
                <g key={`s${t}`}>
                  <line x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={y(sizeScale, t)} y2={y(sizeScale, t)} />
                  <text class="trend-tick trend-tick-size" x={MARGIN.left - 6} y={y(sizeScale, t)} text-anchor="end" dominant-baseline="middle">
                    {sizeLabels[i]}
                  </text>
                </g>
              ))}
            {shown.duration &&
              durationScale.ticks.map((t, i) => (
                <text key={`d${t}`} class="trend-tick trend-tick-duration" x={MARGIN.left + plotWidth + 6} y={y(durationScale, t)} dominant-baseline="middle">
                  {durationLabels[i]}
                </text>
              ))}
            <line class="trend-axis" x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={bottom} y2={bottom} />
            {time.ticks.map((t) => (
              <g key={`t${t.at}`}>
                <line class="trend-axis" x1={x(t.at)} x2={x(t.at)} y1={bottom} y2={bottom + 4} />
                <text class="trend-tick trend-tick-time" x={x(t.at)} y={bottom + 16} text-anchor="middle">
                  {t.label}
                </text>
              </g>
            ))}
            <text class="trend-tick trend-caption" x={MARGIN.left + plotWidth / 2} y={bottom + 36} text-anchor="middle">
              {time.caption}
            </text>
          </g>
          {shown.duration && durations.length > 0 && (
            <g aria-hidden="true">
              <path class="trend-duration-line" d={pathThrough(timed.map((r) => [x(r.at), y(durationScale, r.durationMs as number)]))} />
              {timed.map((r) => {
                const side = small ? 4 : 7;
                return (
                  <rect
                    key={`d${r.at}`}
                    class="trend-duration-dot"
                    x={x(r.at) - side / 2}
                    y={y(durationScale, r.durationMs as number) - side / 2}
                    width={side}
                    height={side}
                  >
                    <title>{formatDuration(r.durationMs)}</title>
                  </rect>
                );
              })}
            </g>
          )}
          {shown.size && sizes.length > 0 && (
            <g aria-hidden="true">
              <path class="trend-size-line" d={pathThrough(runs.filter((r) => r.size !== null).map((r) => [x(r.at), y(sizeScale, r.size as number)]))} />
              {runs
                .filter((r) => r.size !== null)
                .map((r) => (
                  <circle key={`s${r.at}`} class="trend-size-dot" cx={x(r.at)} cy={y(sizeScale, r.size as number)} r={small ? 2.5 : 4}>
                    <title>{formatBytes(r.size)}</title>
                  </circle>
                ))}
            </g>
          )}
          {shown.failures &&
            failures.map((r) => {
              const cx = x(r.at);
              const cy = bottom - 8;
              const failure = r.failure as { code: string; message: string };
              return (
                <g
                  key={`f${r.at}`}
                  class="trend-failure-mark"
                  role="img"
                  tabIndex={0}
                  aria-label={`Failed backup, ${named.format(new Date(r.at))}: ${failure.code}, ${failure.message}`}
                >
                  <path class="trend-failure" d={`M${cx - 6} ${cy - 6} L${cx + 6} ${cy + 6} M${cx + 6} ${cy - 6} L${cx - 6} ${cy + 6}`} />
                </g>
              );
            })}
        </svg>
      </div>
    </div>
  );
}
