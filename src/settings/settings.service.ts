import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import path from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { describeRecurrence, nextRuns, type ScheduleValue, scheduleRecurrence, SPEC_BACKUP_HOUR } from '../common/schedules/backup-schedule.js';
import { reservedFolderProblem } from '../common/fs/reserved-folders.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { SerialQueue } from '../common/serial-queue.js';
import { SettingsChangedEvent } from './settings-changed.event.js';
import type { SettingDto } from './dto/setting.dto.js';
import {
  environmentName,
  findDefinition,
  KEEP_UNITS,
  type KeepUnit,
  SETTING_DEFINITIONS,
  type SettingDefinition,
  type SettingValue,
} from './setting-definitions.js';
import { InvalidSettingValue, parseSettingValue } from './setting-value.parser.js';
import { SecretCipher } from './secret-cipher.js';
import { CONFIG_DATABASE, SettingsRepository } from './settings.repository.js';

/** A backup schedule setting's value: the spec's daily / weekly / monthly, hourly, or cron:<five fields>. */
export type BackupSchedule = ScheduleValue;

/** How many coming runs a schedule setting lists (GET /api/settings). */
const LISTED_RUNS = 5;

/**
 * A check of a key's parsed value against other modules' data: what is wrong, as a sentence naming the key, or
 * undefined. `batch` is every key written together with it (parsed), so keys that only make sense together
 * (a bucket and its prefix) are judged as they will be.
 */
/** A check of one key's value; `batch` is every key written with it, `name` how the error should name the key. */
export type ValueCheck = (value: SettingValue, batch: ReadonlyMap<string, SettingValue>, name: string) => Promise<string | undefined>;

/** A target's keep_hourly … keep_yearly settings: how many of the most recent periods keep their newest backup; null when unset. */
export type CalendarKeep = Record<KeepUnit, number | null>;

/** What the R2 target needs, with secrets decrypted. For the storage module only; never returned by the API. */
export interface R2Settings {
  enabled: boolean;
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  endpoint: string;
  /** r2_prefix: '' or a folder ending in '/'. */
  prefix: string;
  schedule: BackupSchedule;
  retentionDays: number;
  keep: CalendarKeep;
  /** r2_object_lock_mode and r2_object_lock_days: the retention each uploaded archive gets; null when off. */
  objectLock: { mode: 'governance' | 'compliance'; days: number } | null;
}

export interface LocalSettings {
  enabled: boolean;
  /** Absolute path. */
  dir: string;
  retentionDays: number;
  /** local_backup_schedule: 'daily' (the spec's 01:00) unless set. */
  schedule: BackupSchedule;
  keep: CalendarKeep;
}

interface Resolved {
  def: SettingDefinition;
  /** Stored text (encrypted for secrets) or the canonical value. */
  value: SettingValue;
  source: SettingDto['source'];
}

/**
 * The settings store: validated values in config.db, secrets encrypted, environment variables
 * (the spec's `.env` migration) as fallbacks that the database overrides.
 */
@Injectable()
export class SettingsService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(SettingsService.name);
  private fallbackFolderLogged = false;

  constructor(
    private readonly repository: SettingsRepository,
    private readonly cipher: SecretCipher,
    private readonly config: AppConfig,
    private readonly events: DomainEventBus,
    private readonly clock: Clock,
  ) {}

  /** A bad fallback in the environment stops the start, naming the variable (no database needed). */
  onModuleInit(): void {
    for (const def of SETTING_DEFINITIONS) {
      const raw = this.config.env.raw[environmentName(def.key)];
      if (raw === undefined || raw === '') continue;
      try {
        const value = parseSettingValue(def, raw);
        // Refused at start rather than ignored: a fallback silently not used would put backups elsewhere.
        const reserved = def.kind === 'path' ? reservedFolderProblem(String(value), this.config.env.dataDir) : undefined;
        if (reserved) throw new Error(`${String(value)} cannot hold backups: ${reserved}`);
      } catch (error) {
        throw new Error(`Invalid environment variable ${environmentName(def.key)}: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  /**
   * Names, once per start, the stored secrets the current master key cannot decrypt (never their
   * values), so a changed SENTINEL_MASTER_KEY is found at start, not at the next night's backup.
   * Not awaited: the databases open later in the bootstrap (see DatabaseRegistry), and waiting for
   * them here would hold the start.
   */
  onApplicationBootstrap(): void {
    void this.warnAboutUnreadableSecrets();
  }

  private async warnAboutUnreadableSecrets(): Promise<void> {
    let stored: Map<string, string>;
    try {
      stored = await this.repository.all();
    } catch {
      return; // A damaged config.db is reported by the registry; a shutdown needs no warning.
    }
    const unreadable = SETTING_DEFINITIONS.filter((def) => def.kind === 'secret' && this.secretProblem(def.key, stored.get(def.key)) !== undefined);
    if (unreadable.length === 0) return;
    this.logger.warn(
      `The stored secrets ${unreadable.map((def) => def.key).join(', ')} cannot be decrypted with the current master key (${this.cipher.keySourceLabel()}): ` +
        'the key changed since they were stored, or they are damaged. Set SENTINEL_MASTER_KEY back to the key they were stored with, ' +
        'or enter them again in Settings → Backup; GET /api/settings shows them with "readable": false',
    );
  }

  async list(): Promise<SettingDto[]> {
    const stored = await this.repository.all();
    return SETTING_DEFINITIONS.map((def) => this.toDto(this.resolve(def, stored)));
  }

  async get(key: string): Promise<SettingDto> {
    const def = this.definition(key);
    return this.toDto(this.resolve(def, await this.repository.all()));
  }

  /** Validates and stores a value. An invalid value changes nothing. */
  async update(key: string, input: unknown): Promise<SettingDto> {
    this.definition(key);
    await this.updateMany([[key, input]]);
    return this.get(key);
  }

  /**
   * PUT /api/settings: several settings saved together, all or nothing. Every value is judged first; one invalid
   * value (or unknown key) refuses the whole write with each invalid one listed, and nothing changes.
   */
  async updateAll(values: Record<string, unknown>): Promise<SettingDto[]> {
    const entries = Object.entries(values);
    if (entries.length === 0) throw new DomainError(ErrorCode.InvalidInput, 'values is empty: send JSON like {"values": {"r2_bucket_name": "backups"}}');
    await this.updateMany(entries);
    return this.list();
  }

  /**
   * Validates every value first and stores them only when all are valid, so a change that spans several keys
   * (PATCH /api/targets/r2) is refused whole when one value is wrong. `describeKey` names a key in an error
   * (the targets API names its own field).
   */
  async updateMany(entries: ReadonlyArray<readonly [string, unknown]>, describeKey: (key: string) => string = (key) => key): Promise<void> {
    // Every value is judged before any is refused, so the answer lists each invalid one (PUT /api/settings).
    const invalid: InvalidValue[] = [];
    const checked: Array<{ key: string; value: SettingValue; stored: string }> = [];
    for (const [key, input] of entries) {
      const def = findDefinition(key);
      if (!def) {
        invalid.push({ key: describeKey(key), message: `Unknown setting '${describeKey(key)}': GET /api/settings lists the known ones` });
        continue;
      }
      let value: SettingValue;
      try {
        value = parseSettingValue({ ...def, key: describeKey(key) }, input);
      } catch (error) {
        if (!(error instanceof InvalidSettingValue)) throw error;
        invalid.push({ key: describeKey(key), message: error.message, ...(def.choices ? { allowed: def.choices } : {}) });
        continue;
      }
      const reserved = def.kind === 'path' ? reservedFolderProblem(String(value), this.config.env.dataDir) : undefined;
      if (reserved) {
        invalid.push({ key: describeKey(key), message: `${describeKey(key)} cannot be ${String(value)}: ${reserved}` });
        continue;
      }
      checked.push({ key, value, stored: def.kind === 'secret' && value !== '' ? this.cipher.encrypt(key, String(value)) : String(value) });
    }
    // Checked and stored one at a time, and in turn with the targets' changes (see `serially`): two requests that
    // are each fine alone (r2 from local, local from r2) must not both pass.
    await this.serially(async () => {
      const batch = new Map(checked.map(({ key, value }) => [key, value] as const));
      for (const { key, value } of checked) {
        const problem = await this.valueChecks.get(key)?.(value, batch, describeKey(key));
        if (problem) invalid.push({ key: describeKey(key), message: problem });
      }
      if (invalid.length > 0) throw invalidValues(invalid);
      await this.repository.putMany(checked.map(({ key, stored }) => [key, stored] as const));
    });
    for (const { key } of checked) {
      // The value itself is never logged: it may be a secret.
      this.logger.log(`Setting ${key} updated`);
      this.events.emit(new SettingsChangedEvent(key));
    }
  }

  async r2Settings(): Promise<R2Settings> {
    const stored = await this.repository.all();
    const value = (key: string) => this.resolve(this.definition(key), stored).value;
    const lockMode = String(value('r2_object_lock_mode'));
    return {
      enabled: value('r2_backup_enabled') === 1,
      accountId: String(value('r2_account_id')),
      accessKeyId: this.reveal('r2_access_key_id', stored),
      secretAccessKey: this.reveal('r2_secret_access_key', stored),
      bucket: String(value('r2_bucket_name')),
      endpoint: String(value('r2_endpoint')),
      prefix: String(value('r2_prefix')),
      schedule: value('r2_backup_schedule') as BackupSchedule,
      retentionDays: Number(value('r2_backup_retention_days')),
      keep: keepOf('r2', value),
      objectLock: lockMode === '' ? null : { mode: lockMode as 'governance' | 'compliance', days: Number(value('r2_object_lock_days')) },
    };
  }

  /** The target id a built-in target replicates from (`r2_replicate_from`, `local_replicate_from`), or null. */
  async replicateFrom(target: 'r2' | 'local'): Promise<string | null> {
    const value = String(this.resolve(this.definition(`${target}_replicate_from`), await this.repository.all()).value);
    return value === '' ? null : value;
  }

  /**
   * Adds a check of a key's parsed value that needs more than the value itself (another module's data: the
   * targets module says whether a replication source exists and makes no cycle). It returns what is wrong,
   * as a sentence naming the key as `name` gives it (the targets API names its own field), or undefined; `update`
   * refuses with 400 and stores nothing.
   */
  addValueCheck(key: string, check: ValueCheck): void {
    this.definition(key);
    this.valueChecks.set(key, check);
  }

  /**
   * Runs `work` in turn with every checked settings write: a module whose data the value checks read (the
   * targets) changes it through here, so a check never passes on data another request is about to change.
   * Work started from inside a turn runs at once (a target change that writes settings keys).
   */
  serially<T>(work: () => Promise<T>): Promise<T> {
    return this.changes.run(work);
  }

  private readonly valueChecks = new Map<string, ValueCheck>();
  private readonly changes = new SerialQueue();

  async localSettings(): Promise<LocalSettings> {
    const stored = await this.repository.all();
    const value = (key: string) => this.resolve(this.definition(key), stored).value;
    return {
      enabled: value('local_backup_enabled') === 1,
      dir: path.resolve(String(value('local_backup_dir'))),
      retentionDays: Number(value('local_backup_retention_days')),
      schedule: value('local_backup_schedule') as BackupSchedule,
      keep: keepOf('local', value),
    };
  }

  /**
   * The local target's folder. Only when config.db is damaged (so local_backup_dir cannot be read)
   * does this fall back to LOCAL_BACKUP_DIR or the default DATA_DIR/backups, which need no database:
   * the backups there can then still be listed and restored, and a restore repairs config.db.
   */
  async localBackupDir(): Promise<string> {
    try {
      return (await this.localSettings()).dir;
    } catch (error) {
      if (!(error instanceof DomainError && error.code === ErrorCode.DatabaseDamaged && error.details?.database === CONFIG_DATABASE)) throw error;
      const dir = path.resolve(String(this.resolve(this.definition('local_backup_dir'), new Map()).value));
      if (!this.fallbackFolderLogged) {
        this.fallbackFolderLogged = true;
        this.logger.warn(
          `config.db cannot be read, so the local_backup_dir setting is unknown: the local target uses ${dir} (LOCAL_BACKUP_DIR, or the default DATA_DIR/backups) ` +
            'until config.db is repaired, so that its backups can be listed and restored',
        );
      }
      return dir;
    }
  }

  private definition(key: string): SettingDefinition {
    const def = findDefinition(key);
    if (!def) {
      throw new DomainError(ErrorCode.SettingNotFound, `Unknown setting '${key}'. Known settings: ${SETTING_DEFINITIONS.map((d) => d.key).join(', ')}`, {
        key,
      });
    }
    return def;
  }

  private resolve(def: SettingDefinition, stored: Map<string, string>): Resolved {
    const fromDb = stored.get(def.key);
    if (fromDb !== undefined) {
      if (def.kind === 'secret') return { def, value: fromDb, source: 'database' };
      try {
        return { def, value: parseSettingValue(def, fromDb), source: 'database' };
      } catch {
        // A value written by another tool that does not parse: fall through to env/default, and say so.
        this.logger.warn(`Ignoring the stored value of ${def.key}: it is not valid; using the fallback`);
      }
    }
    const fromEnv = this.config.env.raw[environmentName(def.key)];
    if (fromEnv !== undefined && fromEnv !== '') return { def, value: parseSettingValue(def, fromEnv), source: 'environment' };
    const fallback = typeof def.defaultValue === 'function' ? def.defaultValue({ dataDir: this.config.env.dataDir }) : def.defaultValue;
    return { def, value: fallback, source: 'default' };
  }

  /** The plaintext of a secret: decrypted from the database, or the environment fallback. */
  private reveal(key: string, stored: Map<string, string>): string {
    const { value, source } = this.resolve(this.definition(key), stored);
    const text = String(value);
    if (source === 'database' && text !== '') return this.cipher.decrypt(key, text);
    return text;
  }

  /** Why a stored secret cannot be decrypted (with what to do), or undefined when it can or none is stored. */
  private secretProblem(key: string, stored: string | undefined): string | undefined {
    if (stored === undefined || stored === '') return undefined;
    try {
      this.cipher.decrypt(key, stored);
      return undefined;
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.SecretUnreadable) return error.message;
      throw error;
    }
  }

  private toDto({ def, value, source }: Resolved): SettingDto {
    const isSecret = def.kind === 'secret';
    const problem = isSecret && source === 'database' ? this.secretProblem(def.key, String(value)) : undefined;
    return {
      key: def.key,
      value: isSecret ? this.shownSecret(def, value, source, problem) : value,
      is_secret: isSecret && !def.shown,
      is_set: String(value) !== '',
      readable: problem === undefined,
      ...(problem ? { problem } : {}),
      source,
      description: def.description,
      ...(def.choices ? { allowed_values: [...def.choices] } : {}),
      ...(def.kind === 'schedule' ? { schedule: this.scheduleInfo(def, value as BackupSchedule) } : {}),
    };
  }

  /** A secret's value as the API shows it: null, unless the definition says it is shown (and it can be read). */
  private shownSecret(def: SettingDefinition, value: Resolved['value'], source: Resolved['source'], problem: string | undefined): string | null {
    if (!def.shown || problem !== undefined || String(value) === '') return null;
    return source === 'database' ? this.cipher.decrypt(def.key, String(value)) : String(value);
  }

  /** A schedule setting in words and its next runs, in the service's time zone. */
  private scheduleInfo(def: SettingDefinition, value: BackupSchedule): SettingDto['schedule'] {
    const timeZone = this.config.env.timeZone;
    const recurrence = scheduleRecurrence(value, SPEC_BACKUP_HOUR[def.scheduleOf ?? 'r2']);
    return {
      description: describeRecurrence(recurrence, timeZone),
      time_zone: timeZone,
      next_runs: nextRuns(recurrence, this.clock.now(), timeZone, LISTED_RUNS).map((at) => at.toISOString()),
    };
  }
}

/** One refused value of a write: the key (as the caller names it) and why. */
interface InvalidValue {
  key: string;
  message: string;
  allowed?: readonly string[];
}

/**
 * The refusal of a write with invalid values: one value keeps the answer it always had (its message, details.key and
 * details.allowed); several are each listed, in details.invalid, and in the message.
 */
function invalidValues(invalid: readonly InvalidValue[]): DomainError {
  const [first] = invalid as [InvalidValue];
  const details = { key: first.key, ...(first.allowed ? { allowed: first.allowed } : {}), invalid };
  if (invalid.length === 1) return new DomainError(ErrorCode.SettingInvalid, first.message, details);
  return new DomainError(
    ErrorCode.SettingInvalid,
    `${invalid.length} values are invalid and nothing was saved: ${invalid.map((i) => i.message).join('; ')}`,
    details,
  );
}

function keepOf(target: 'r2' | 'local', value: (key: string) => SettingValue): CalendarKeep {
  const read = (unit: KeepUnit) => {
    const v = value(`${target}_backup_keep_${unit}`);
    return v === '' ? null : Number(v);
  };
  return Object.fromEntries(KEEP_UNITS.map((unit) => [unit, read(unit)])) as CalendarKeep;
}
