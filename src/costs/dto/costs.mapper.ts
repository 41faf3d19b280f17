import type { TargetPrices } from '../cost-prices.store.js';
import type { CostReport, TargetCost } from '../costs.service.js';
import { COST_WINDOW_DAYS } from '../costs.service.js';
import type { CostPricesDto, CostsDto, TargetCostDto } from './costs.dto.js';

export function toCostPricesDto({ prices, isDefault }: TargetPrices): CostPricesDto {
  return {
    storage_per_gb_month: prices.storagePerGbMonth,
    class_a_per_million: prices.classAPerMillion,
    class_b_per_million: prices.classBPerMillion,
    is_default: isDefault,
  };
}

function toTargetCostDto(t: TargetCost): TargetCostDto {
  return {
    target: t.entry.id,
    label: t.entry.label,
    kind: t.entry.kind,
    enabled: t.entry.enabled,
    stored_bytes: t.stored?.bytes ?? null,
    stored_backups: t.stored?.backups ?? null,
    listing_error: t.listingError,
    retention: t.retention,
    projected_backups: t.projectedBackups,
    projected_bytes: t.projectedBytes,
    recent_backups: t.growth.recentArchives,
    backups_per_day: t.growth.backupsPerDay,
    archive_growth_bytes_per_day: t.growth.archiveBytesPerDay,
    newest_backup_bytes: t.growth.newestArchiveBytes,
    requests_30_days: t.requests && { class_a: t.requests.classA, class_b: t.requests.classB, free: t.requests.free },
    prices: t.prices && toCostPricesDto(t.prices),
    monthly_cost: t.monthly && {
      storage: t.monthly.storage,
      class_a: t.monthly.classA,
      class_b: t.monthly.classB,
      total: t.monthly.total,
      projected_storage: t.monthly.projectedStorage,
    },
    free_bytes: t.freeBytes,
    warnings: t.warnings,
  };
}

export function toCostsDto(report: CostReport): CostsDto {
  return {
    generated_at: report.generatedAt.toISOString(),
    currency: 'USD',
    window_days: COST_WINDOW_DAYS,
    targets: report.targets.map(toTargetCostDto),
    total_monthly_cost: report.totalMonthly,
    disks: report.disks.map((d) => ({
      folder: d.folder,
      free_bytes: d.freeBytes,
      needed_bytes: d.neededBytes,
      fits: d.freeBytes >= d.neededBytes,
      targets: d.targets,
    })),
  };
}
