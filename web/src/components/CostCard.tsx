import type { TargetCost } from '../api/costs';
import { backupCount, formatUsd, frequency } from '../costs';
import { formatBytes, formatDateTime } from '../format';
import { useCosts } from '../hooks/useCosts';
import { CostPricesForm } from './CostPricesForm';

/** The archive's size change a day in words: "+2.1 KB a day", "−500 bytes a day", "steady". */
function sizeChange(bytesPerDay: number | null): string | null {
  if (bytesPerDay === null) return null;
  if (Math.abs(bytesPerDay) < 1) return 'archive size steady';
  return `archive size ${bytesPerDay > 0 ? '+' : '−'}${formatBytes(Math.round(Math.abs(bytesPerDay)))} a day`;
}

function TargetFigures({ cost, onPricesChanged }: { cost: TargetCost; onPricesChanged: () => Promise<void> }) {
  const headingId = `cost-${cost.target}-heading`;
  const growth = [cost.backups_per_day !== null ? `${frequency(cost.backups_per_day)}` : null, sizeChange(cost.archive_growth_bytes_per_day)].filter(Boolean);
  const monthly = cost.monthly_cost;
  return (
    <article class="cost-target" data-target={cost.target} aria-labelledby={headingId}>
      <h3 id={headingId}>
        {cost.label}
        {!cost.enabled && <span class="muted"> (turned off)</span>}
      </h3>
      {cost.warnings.length > 0 && (
        <ul class="notice notice-error cost-warnings">
          {cost.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
      <dl class="cost-figures">
        <dt>Stored now</dt>
        <dd data-figure="stored">
          {cost.stored_bytes === null ? (
            <>Could not be listed: {cost.listing_error}</>
          ) : (
            <>
              {backupCount(cost.stored_backups ?? 0)}, {formatBytes(cost.stored_bytes)}
            </>
          )}
        </dd>
        <dt>Under its retention ({cost.retention})</dt>
        <dd data-figure="projected">
          {cost.projected_backups === null
            ? 'Keeps every backup: the size grows with each one'
            : cost.projected_bytes === null
              ? `About ${backupCount(cost.projected_backups)}`
              : `About ${backupCount(cost.projected_backups)}, ${formatBytes(cost.projected_bytes)}`}
        </dd>
        <dt>Growth (last 30 days)</dt>
        <dd data-figure="growth">
          {growth.length
            ? `${growth.join('; ')}`
            : `Not enough history yet: ${backupCount(cost.recent_backups)} in 30 days; a rate needs backups spread over a day at least`}
        </dd>
        {cost.free_bytes !== null && (
          <>
            <dt>Free space on its disk</dt>
            <dd data-figure="free">{formatBytes(cost.free_bytes)}</dd>
          </>
        )}
        {cost.requests_30_days && (
          <>
            <dt>Requests (last 30 days)</dt>
            <dd data-figure="requests">
              Class A {cost.requests_30_days.class_a.toLocaleString()} · Class B {cost.requests_30_days.class_b.toLocaleString()} · free{' '}
              {cost.requests_30_days.free.toLocaleString()}
            </dd>
          </>
        )}
        {monthly && (
          <>
            <dt>Estimated cost a month</dt>
            <dd data-figure="monthly">
              <strong data-figure="monthly-total">{formatUsd(monthly.total)}</strong> (storage {formatUsd(monthly.storage)}, Class A{' '}
              {formatUsd(monthly.class_a)}, Class B {formatUsd(monthly.class_b)})
              {monthly.projected_storage !== null && <> · storage under its retention {formatUsd(monthly.projected_storage)}</>}
            </dd>
          </>
        )}
      </dl>
      {cost.prices && <CostPricesForm target={cost.target} name={cost.label} prices={cost.prices} onChanged={onPricesChanged} />}
    </article>
  );
}

/** The Cost and capacity section (issue 18): per target what is stored, what its retention will hold, and what it costs. */
export function CostCard({ enabled }: { enabled: boolean }) {
  const { costs, error, loading, load } = useCosts(enabled);
  return (
    <section class="card" aria-labelledby="costs-heading">
      <h2 id="costs-heading">Cost and capacity</h2>
      <p class="card-intro">
        Storage is priced per GB-month of what is stored now; operations by the requests this service sent in the last 30 days (egress is free on R2). No free
        tier is subtracted. Sizes in SI units (1 GB = 1,000,000,000 bytes); prices in US dollars.
      </p>
      {error && (
        <div class="notice notice-error" role="alert">
          <p>The cost figures could not be loaded: {error}</p>
        </div>
      )}
      {!costs && !error && <p class="muted">Loading…</p>}
      {costs && (
        <>
          <p data-figure="total">
            Estimated total: <strong>{formatUsd(costs.total_monthly_cost)} a month</strong>{' '}
            <span class="muted">(as of {formatDateTime(costs.generated_at)})</span>
          </p>
          {costs.disks
            .filter((disk) => !disk.fits)
            .map((disk) => (
              <div key={disk.folder} class="notice notice-error" role="alert">
                <p>
                  The next backup will not fit in {disk.folder}: it needs {formatBytes(disk.needed_bytes)}, {formatBytes(disk.free_bytes)} is free.
                </p>
              </div>
            ))}
          {costs.targets.map((cost) => (
            <TargetFigures key={cost.target} cost={cost} onPricesChanged={load} />
          ))}
        </>
      )}
      <div class="actions">
        <button type="button" class="button button-small" disabled={loading} onClick={() => void load()}>
          Refresh
        </button>
      </div>
    </section>
  );
}
