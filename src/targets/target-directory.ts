import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { type CalendarKeep, SettingsService } from '../settings/settings.service.js';
import { BUILT_IN_TARGET_IDS, type RetentionRule, type TargetDefinition } from './target-definition.js';

/**
 * The list of backup targets, the one place every per-target feature asks "which targets are there, and how
 * is this one set up?". Today: the two built-in targets from the spec's settings keys; stored targets
 * (/api/targets) join them here (issue 16).
 */
@Injectable()
export class TargetDirectory implements OnModuleInit {
  constructor(private readonly settings: SettingsService) {}

  /** The built-ins' replication sources are settings; which targets exist, and cycles, are known here. */
  onModuleInit(): void {
    for (const id of BUILT_IN_TARGET_IDS) {
      const key = `${id}_replicate_from`;
      this.settings.addValueCheck(key, (value) => this.replicationProblem(id, value === '' ? null : String(value), key));
    }
  }

  /**
   * What is wrong with `target` replicating from `source` (null: from none), in a sentence naming `field`, or
   * undefined: the source must be another existing target, and following the sources from it must not come
   * back to `target` (a cycle would copy each archive around for ever).
   */
  async replicationProblem(target: string, source: string | null, field: string): Promise<string | undefined> {
    if (source === null) return undefined;
    if (source === target) return `${field} cannot be '${target}' itself: name another target to copy from, or empty for none`;
    const targets = await this.list();
    const from = new Map(targets.map((t) => [t.id, t.replicateFrom]));
    if (!from.has(source)) {
      return `${field} must name an existing target: there is no target '${source}' (targets: ${targets.map((t) => `'${t.id}'`).join(', ')}), or empty for none`;
    }
    from.set(target, source);
    const chain = [target];
    for (let at: string | null | undefined = source; at; at = from.get(at)) {
      chain.push(at);
      if (at === target) return `${field} '${source}' would make a replication cycle (${chain.join(' ← ')}): a target cannot copy, through others, from itself`;
      if (chain.length > targets.length + 1) break;
    }
    return undefined;
  }

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
      replicateFrom: await this.settings.replicateFrom('local'),
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
      replicateFrom: await this.settings.replicateFrom('r2'),
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
