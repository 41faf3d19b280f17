import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import path from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { SecretCipher } from '../settings/secret-cipher.js';
import { type CalendarKeep, SettingsService } from '../settings/settings.service.js';
import { BUILT_IN_FIELDS, type BuiltInId, builtInFieldProblem, builtInWrites } from './built-in-target-fields.js';
import { BUILT_IN_TARGET_IDS, type RetentionRule, type TargetDefinition } from './target-definition.js';
import { applyTargetInput, checkAgainst, checkNewId, invalidField, placeKey, samePlaceProblem, type TargetField, type TargetInput } from './target-input.js';
import { applyIncrementalInput, incrementalFields, incrementalPolicyOf, type IncrementalPolicy, readStoredIncremental } from './incremental-policy.js';
import { TargetStore } from './target-store.js';
import { TargetsChangedEvent } from './targets-changed.event.js';
import { parseStoredTarget, sealTarget } from './stored-target.js';

/**
 * The list of backup targets, the one place every per-target feature asks "which targets are there, and how
 * is this one set up?": the two built-in targets from the spec's settings keys, then the destinations added
 * through /api/targets (config.db's `targets` table), in the order they were added.
 */
@Injectable()
export class TargetDirectory implements OnModuleInit {
  private readonly logger = new Logger('Targets');
  /** Says why `target` cannot change its place or go now (a job is using it), by throwing; see `guardPlaceWith`. */
  private placeGuards: Array<(target: TargetDefinition) => void> = [];

  constructor(
    private readonly settings: SettingsService,
    private readonly store: TargetStore,
    private readonly cipher: SecretCipher,
    private readonly config: AppConfig,
    private readonly events: DomainEventBus,
  ) {}

  /** The built-ins' replication sources are settings; which targets exist, and cycles, are known here. */
  onModuleInit(): void {
    for (const id of BUILT_IN_TARGET_IDS) {
      this.settings.addValueCheck(`${id}_replicate_from`, (value, _batch, name) => this.replicationProblem(id, value === '' ? null : String(value), name));
    }
    // The spec's keys that say where local and r2 keep their backups: PUT /api/settings/<key> is checked like
    // PATCH /api/targets/<id>, so no way round the same-place check (or a running job) is left.
    for (const [id, keys] of Object.entries(PLACE_KEYS) as Array<[BuiltInId, readonly string[]]>) {
      for (const key of keys) this.settings.addValueCheck(key, (_value, batch) => this.builtInPlaceProblem(id, batch, key));
    }
  }

  /**
   * Another module (the jobs) refuses, by throwing, a change of a target's place or its removal while it uses
   * the target: a backup half written to the old place, or a rotation deleting in it, must not be cut off.
   */
  guardPlaceWith(guard: (target: TargetDefinition) => void): void {
    this.placeGuards.push(guard);
  }

  /**
   * What is wrong with the built-in `id` written with the settings of `batch`, in a sentence naming `key`:
   * another target's place (400), or a running job (409, thrown).
   */
  private async builtInPlaceProblem(id: BuiltInId, batch: ReadonlyMap<string, unknown>, key: string): Promise<string | undefined> {
    const all = await this.list();
    const current = all.find((t) => t.id === id) as TargetDefinition;
    const next: TargetDefinition = { ...current };
    const text = (setting: string) => (batch.has(setting) ? String(batch.get(setting)) : undefined);
    if (id === 'local') next.path = path.resolve(text('local_backup_dir') ?? current.path);
    else {
      next.endpoint = text('r2_endpoint') ?? next.endpoint;
      next.bucket = text('r2_bucket_name') ?? next.bucket;
      next.prefix = text('r2_prefix') ?? next.prefix;
      next.accountId = text('r2_account_id') ?? next.accountId;
    }
    this.checkPlaceFree(current, next);
    return samePlaceProblem(next, all, key);
  }

  /** Throws the guards' error when `next` moves `current` to another place while a job uses it. */
  private checkPlaceFree(current: TargetDefinition, next: TargetDefinition): void {
    if (placeKey(current) === placeKey(next)) return;
    for (const guard of this.placeGuards) guard(current);
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
    return [await this.local(), await this.r2(), ...(await this.added())];
  }

  /** The target `id`, or a NotFound error naming the ids there are. */
  async get(id: string): Promise<TargetDefinition> {
    // The built-ins without the added list: a targets table that cannot be read must not stop local and r2.
    if (id === 'local') return this.local();
    if (id === 'r2') return this.r2();
    const targets = await this.list();
    const found = targets.find((t) => t.id === id);
    if (!found) {
      throw new DomainError(
        ErrorCode.NotFound,
        `Unknown backup target '${String(id).slice(0, 40)}': use one of ${targets.map((t) => `'${t.id}'`).join(', ')}`,
        {
          target: id,
        },
      );
    }
    return found;
  }

  /** Adds a destination; a wrong field answers 400 naming it and stores nothing. */
  async create(input: TargetInput): Promise<TargetDefinition> {
    return this.serially(async () => {
      const all = await this.list();
      const id = checkNewId(
        input.id,
        all.map((t) => t.id),
      );
      if (input.kind !== 's3' && input.kind !== 'folder') {
        throw invalidField(
          'kind',
          `kind must be "s3" (an S3-compatible store: R2, B2, Wasabi, AWS S3, MinIO, Ceph) or "folder" (a mounted disk or NAS), got ${JSON.stringify(input.kind)?.slice(0, 40)}`,
        );
      }
      const fresh: TargetDefinition = {
        ...blank,
        id,
        label: id,
        kind: input.kind,
        builtIn: false,
        enabled: true,
        region: input.kind === 's3' ? 'auto' : '',
        schedule: 'daily',
        retention: { ...noCalendarRule, retentionDays: 90 },
      };
      const next = applyTargetInput(fresh, input, this.config.env.dataDir);
      checkAgainst(next, all);
      if (!(await this.store.insert(id, sealTarget(next, this.cipher)))) {
        throw new DomainError(ErrorCode.Conflict, `A target with id '${id}' already exists: choose another id`, { field: 'id' });
      }
      this.logger.log(`Target ${id} (${next.kind}) added`);
      this.events.emit(new TargetsChangedEvent(id, 'added'));
      return next;
    });
  }

  /**
   * Changes the fields `input` names. A built-in target's fields are its settings keys (written together, or
   * none when one is wrong); a field it has no key for is refused unless it is sent unchanged.
   */
  async update(id: string, input: TargetInput): Promise<TargetDefinition> {
    return this.serially(async () => {
      const all = await this.list();
      const current = await this.get(id);
      if (input.id !== undefined && input.id !== id)
        throw invalidField('id', `id cannot change (it names the target in job history and every URL): create a new target instead`);
      if (input.kind !== undefined && input.kind !== current.kind)
        throw invalidField('kind', `kind cannot change from '${current.kind}': create a new target instead`);
      if (current.builtIn) {
        const builtIn = id as BuiltInId;
        const writes: Array<[string, unknown]> = [];
        const next: TargetDefinition = { ...current };
        // Not a settings key: kept in config.db beside the targets (TargetStore), checked here with the rest.
        let incremental: IncrementalPolicy | undefined;
        for (const field of Object.keys(input) as TargetField[]) {
          if (input[field] === undefined || field === 'id' || field === 'kind') continue;
          const value = input[field];
          if (field === 'incremental') {
            incremental = applyIncrementalInput(incrementalPolicyOf(current), value);
            continue;
          }
          const fieldWrites = builtInWrites(builtIn, field, value);
          if (!fieldWrites) {
            const problem = builtInFieldProblem(builtIn, field, current, value);
            if (problem) throw invalidField(field, problem);
            continue;
          }
          writes.push(...fieldWrites);
          // Where the target would write, for the overlap check (the settings parser checks the values themselves).
          if (field === 'path' && typeof value === 'string') next.path = path.resolve(value.trim());
          if (field === 'bucket' && typeof value === 'string') next.bucket = value.trim();
          if (field === 'endpoint' && typeof value === 'string') next.endpoint = value.trim().replace(/\/+$/, '');
          if (field === 'prefix' && typeof value === 'string')
            next.prefix = value.trim() === '' || value.trim().endsWith('/') ? value.trim() : `${value.trim()}/`;
        }
        checkAgainst(next, all);
        this.checkPlaceFree(current, next);
        const fieldOf = (key: string) => Object.entries(BUILT_IN_FIELDS[builtIn]).find(([, k]) => k === key)?.[0] ?? key;
        // Messages name the spec's key and the field, so either spelling the user knows is there.
        await this.settings.updateMany(writes, (key) => `${fieldOf(key)} (setting ${key})`);
        if (incremental) await this.store.setBuiltInIncremental(id, JSON.stringify(incrementalFields(incremental)));
        this.logger.log(`Target ${id} changed: ${[...writes.map(([key]) => key), ...(incremental ? ['incremental'] : [])].join(', ') || 'nothing'}`);
        if (incremental) this.events.emit(new TargetsChangedEvent(id, 'changed'));
        return this.get(id);
      }
      const next = applyTargetInput(current, input, this.config.env.dataDir);
      checkAgainst(next, all);
      this.checkPlaceFree(current, next);
      await this.store.replace(id, sealTarget(next, this.cipher));
      this.logger.log(
        `Target ${id} changed: ${
          Object.keys(input)
            .filter((f) => input[f as TargetField] !== undefined)
            .join(', ') || 'nothing'
        }`,
      );
      this.events.emit(new TargetsChangedEvent(id, 'changed'));
      return next;
    });
  }

  /**
   * Forgets an added target (never its backups: they stay where they are, and a target added again with the
   * same place lists them). `holdsBackups` is asked by the caller, which knows how to list them.
   */
  async remove(id: string, mayRemove: (target: TargetDefinition) => Promise<void>): Promise<TargetDefinition> {
    return this.serially(async () => {
      const target = await this.get(id);
      if (target.builtIn) {
        throw new DomainError(
          ErrorCode.Conflict,
          `'${id}' is a built-in target and cannot be deleted: turn it off with PATCH /api/targets/${id} {"enabled": false}`,
          { target: id },
        );
      }
      const replicas = (await this.list()).filter((t) => t.replicateFrom === id);
      if (replicas.length > 0) {
        throw new DomainError(
          ErrorCode.Conflict,
          `Target '${id}' is the source of ${replicas.map((t) => `'${t.id}'`).join(', ')} (replicate_from): change or delete ${replicas.length === 1 ? 'that target' : 'those targets'} first`,
          { target: id },
        );
      }
      for (const guard of this.placeGuards) guard(target);
      await mayRemove(target);
      // Asked again: counting the backups lists the store (seconds on a big or slow one), and a backup or a
      // replication may have started meanwhile. Nothing else is awaited before the removal.
      for (const guard of this.placeGuards) guard(target);
      await this.store.remove(id);
      this.logger.log(`Target ${id} deleted (its backups were left where they are)`);
      this.events.emit(new TargetsChangedEvent(id, 'removed'));
      return target;
    });
  }

  /**
   * A row this version cannot read, or a secret the master key cannot open, is said once per process: the list is
   * read by every timer, status request and scrape, and the log must not fill with the same line.
   */
  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.logger.warn(message);
  }

  private readonly warned = new Set<string>();

  /**
   * Changes one at a time, in turn with the settings writes whose checks read this list (replication sources,
   * places): each reads the list, checks against it and writes, so two requests cannot both take an id or a
   * place, nor close a replication cycle from both ends.
   */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    return this.settings.serially(work);
  }

  /** The added targets alone (no built-in's settings read): what per-target loops add to the built-ins. */
  async added(): Promise<TargetDefinition[]> {
    return this.addedTargets(this.cipher);
  }

  /**
   * The added targets with their credentials left sealed (accessKeyId and secretAccessKey read ''): what the
   * timers, status requests and scrapes list, which need ids, kinds and schedules, never a secret (so no
   * decryption on every read, and no opened secret held where it is not used).
   */
  async addedWithoutSecrets(): Promise<TargetDefinition[]> {
    return this.addedTargets(undefined);
  }

  private async addedTargets(cipher: SecretCipher | undefined): Promise<TargetDefinition[]> {
    const rows = await this.store.all();
    const found: TargetDefinition[] = [];
    for (const row of rows) {
      // A row of another version or damaged by hand is left out with a warning, never a failure of every target.
      const target = parseStoredTarget(row, cipher, (message) => this.warnOnce(message));
      if (target && !(BUILT_IN_TARGET_IDS as readonly string[]).includes(target.id)) found.push(target);
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
      incremental: await this.builtInIncremental('local'),
    };
  }

  /**
   * A built-in's incremental policy (config.db); the default (off) when it never set one, or when config.db cannot
   * be read: a damaged table must not stop local and r2, and off is what they did before.
   */
  private async builtInIncremental(id: BuiltInId): Promise<IncrementalPolicy> {
    try {
      const stored = await this.store.builtInIncremental(id);
      return readStoredIncremental(stored === undefined ? {} : JSON.parse(stored));
    } catch (error) {
      this.warnOnce(
        `Cannot read the incremental policy of ${id} (config.db): ${(error as Error).message}; incremental backups are off for it until it can be read`,
      );
      return incrementalPolicyOf({});
    }
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
      accountId: s.accountId,
      region: 'auto',
      bucket: s.bucket,
      prefix: s.prefix,
      accessKeyId: s.accessKeyId,
      secretAccessKey: s.secretAccessKey,
      schedule: s.schedule,
      replicateFrom: await this.settings.replicateFrom('r2'),
      retention: retentionRule(s.retentionDays, s.keep),
      objectLock: s.objectLock,
      incremental: await this.builtInIncremental('r2'),
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

/** The settings keys that say where the built-in targets keep their backups. */
const PLACE_KEYS: Record<BuiltInId, readonly string[]> = {
  local: ['local_backup_dir'],
  r2: ['r2_endpoint', 'r2_account_id', 'r2_bucket_name', 'r2_prefix'],
};

export const noCalendarRule: RetentionRule = { retentionDays: 0, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null };

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
