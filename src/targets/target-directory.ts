import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { type CalendarKeep, SettingsService } from '../settings/settings.service.js';
import type { RetentionRule, TargetDefinition } from './target-definition.js';

/**
 * The list of backup targets, the one place every per-target feature asks "which targets are there, and how
 * is this one set up?". Today: the two built-in targets from the spec's settings keys; stored targets
 * (/api/targets) join them here (issue 16).
 */
@Injectable()
export class TargetDirectory {
  constructor(private readonly settings: SettingsService) {}

  async list(): Promise<TargetDefinition[]> {
    return [await this.local(), await this.r2()];
  }

  /** The target `id`, or a NotFound error naming the ids there are. */
  async get(id: string): Promise<TargetDefinition> {
    const targets = await this.list();
    const found = targets.find((t) => t.id === id);
    if (!found) {
      throw new DomainError(ErrorCode.NotFound, `Unknown backup target '${id}': use one of ${targets.map((t) => `'${t.id}'`).join(', ')}`, { target: id });
    }
    return found;
  }

  private async local(): Promise<TargetDefinition> {
    const s = await this.settings.localSettings();
    return {
      ...blank,
      id: 'local',
      label: 'Local',
      kind: 'folder',
      builtIn: true,
      enabled: s.enabled,
      path: s.dir,
      schedule: s.schedule,
      retention: retentionRule(s.retentionDays, s.keep),
    };
  }

  private async r2(): Promise<TargetDefinition> {
    const s = await this.settings.r2Settings();
    return {
      ...blank,
      id: 'r2',
      label: 'R2',
      kind: 's3',
      builtIn: true,
      enabled: s.enabled,
      endpoint: s.endpoint,
      region: 'auto',
      bucket: s.bucket,
      prefix: s.prefix,
      accessKeyId: s.accessKeyId,
      secretAccessKey: s.secretAccessKey,
      schedule: s.schedule,
      retention: retentionRule(s.retentionDays, s.keep),
      objectLock: s.objectLock,
    };
  }
}

/** The spec's retention days and the keep_* settings beside them (null = unset). */
function retentionRule(retentionDays: number, keep: CalendarKeep): RetentionRule {
  return {
    retentionDays,
    keepHourly: keep.hourly,
    keepDaily: keep.daily,
    keepWeekly: keep.weekly,
    keepMonthly: keep.monthly,
    keepYearly: keep.yearly,
  };
}

const blank: Omit<TargetDefinition, 'id' | 'label' | 'kind' | 'builtIn' | 'enabled' | 'schedule' | 'retention'> = {
  endpoint: '',
  region: '',
  bucket: '',
  prefix: '',
  accessKeyId: '',
  secretAccessKey: '',
  path: '',
  replicateFrom: null,
  objectLock: null,
};
