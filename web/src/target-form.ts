/**
 * The target form's state and what it sends: a draft of text fields (what the inputs hold), made from a
 * stored target and turned back into one request body. One request per save: the API checks every field
 * before it stores any, so a refused save changes nothing (never half-saved).
 */
import { ApiError, type TargetInfo, type TargetInput } from './api/client';

export const SCHEDULE_KINDS = ['daily', 'weekly', 'monthly', 'hourly', 'cron'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];
export const KEEP_KEYS = ['keep_hourly', 'keep_daily', 'keep_weekly', 'keep_monthly', 'keep_yearly'] as const;
export type KeepKey = (typeof KEEP_KEYS)[number];

export interface TargetDraft {
  id: string;
  label: string;
  kind: 's3' | 'folder';
  enabled: boolean;
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  /** Write-only: empty keeps what is stored. */
  access_key_id: string;
  secret_access_key: string;
  path: string;
  schedule: ScheduleKind;
  /** The expression after `cron:`, when schedule is cron. */
  cron: string;
  retention_days: string;
  keep_hourly: string;
  keep_daily: string;
  keep_weekly: string;
  keep_monthly: string;
  keep_yearly: string;
  /** '' for none. */
  replicate_from: string;
  /** '' for no lock. */
  lock_mode: '' | 'governance' | 'compliance';
  lock_days: string;
  /** The incremental policy (docs/incremental-backups.md): on, and when a full backup is made instead. */
  incremental_enabled: boolean;
  full_every: FullEvery;
  /** The number of increments after which a full backup is made, when full_every is count. */
  full_every_count: string;
  /** max_chain_ratio as a percentage of the full backup's size. */
  max_chain_percent: string;
}

export const FULL_EVERY = ['daily', 'weekly', 'count'] as const;
export type FullEvery = (typeof FULL_EVERY)[number];

export type DraftField = keyof TargetDraft;
export type DraftErrors = Partial<Record<DraftField, string>>;

export function newTargetDraft(): TargetDraft {
  return {
    id: '',
    label: '',
    kind: 'folder',
    enabled: true,
    endpoint: '',
    region: 'auto',
    bucket: '',
    prefix: '',
    access_key_id: '',
    secret_access_key: '',
    path: '',
    schedule: 'daily',
    cron: '',
    retention_days: '90',
    keep_hourly: '',
    keep_daily: '',
    keep_weekly: '',
    keep_monthly: '',
    keep_yearly: '',
    replicate_from: '',
    lock_mode: '',
    lock_days: '',
    incremental_enabled: false,
    full_every: 'daily',
    full_every_count: '',
    max_chain_percent: '50',
  };
}

/** A ratio (0.5) as the percentage a person types (50), without float noise. */
const percentOf = (ratio: number): string => String(Math.round(ratio * 10000) / 100);

const shown = (n: number | null): string => (n === null ? '' : String(n));

export function targetDraftOf(target: TargetInfo): TargetDraft {
  const cron = target.schedule.startsWith('cron:');
  return {
    id: target.id,
    label: target.label,
    kind: target.kind,
    enabled: target.enabled,
    endpoint: target.endpoint,
    region: target.region,
    bucket: target.bucket,
    prefix: target.prefix,
    access_key_id: target.access_key_id,
    secret_access_key: '',
    path: target.path,
    schedule: cron ? 'cron' : (((SCHEDULE_KINDS as readonly string[]).includes(target.schedule) ? target.schedule : 'daily') as ScheduleKind),
    cron: cron ? target.schedule.slice('cron:'.length) : '',
    retention_days: String(target.retention_days),
    keep_hourly: shown(target.keep_hourly),
    keep_daily: shown(target.keep_daily),
    keep_weekly: shown(target.keep_weekly),
    keep_monthly: shown(target.keep_monthly),
    keep_yearly: shown(target.keep_yearly),
    replicate_from: target.replicate_from ?? '',
    lock_mode: target.object_lock?.mode ?? '',
    lock_days: target.object_lock ? String(target.object_lock.days) : '',
    incremental_enabled: target.incremental.enabled,
    full_every: typeof target.incremental.full_every === 'number' ? 'count' : target.incremental.full_every,
    full_every_count: typeof target.incremental.full_every === 'number' ? String(target.incremental.full_every) : '',
    max_chain_percent: percentOf(target.incremental.max_chain_ratio),
  };
}

/** A percentage typed ("50", "12.5") as the ratio the API takes; anything else as typed, for the API to name. */
function ratioOf(text: string): number | string {
  return /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) / 100 : text;
}

/** A whole number as a number; anything else as typed, for the API to name what is wrong with it. */
function numberOf(text: string): number | string {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : text;
}

/** What the API takes for each field of the draft (object_lock and schedule built from two inputs each). */
function apiFields(draft: TargetDraft): Record<string, unknown> {
  const common: Record<string, unknown> = {
    label: draft.label.trim() || draft.id,
    enabled: draft.enabled,
    schedule: draft.schedule === 'cron' ? `cron:${draft.cron.trim()}` : draft.schedule,
    retention_days: numberOf(draft.retention_days),
    replicate_from: draft.replicate_from || null,
    incremental: {
      enabled: draft.incremental_enabled,
      full_every: draft.full_every === 'count' ? numberOf(draft.full_every_count) : draft.full_every,
      max_chain_ratio: ratioOf(draft.max_chain_percent),
    },
  };
  for (const key of KEEP_KEYS) common[key] = draft[key].trim() === '' ? null : numberOf(draft[key]);
  if (draft.kind === 'folder') return { ...common, path: draft.path.trim() };
  return {
    ...common,
    endpoint: draft.endpoint.trim(),
    region: draft.region.trim(),
    bucket: draft.bucket.trim(),
    prefix: draft.prefix.trim(),
    object_lock: draft.lock_mode ? { mode: draft.lock_mode, days: numberOf(draft.lock_days) } : null,
  };
}

/**
 * The body of a POST (every field) or a PATCH (the fields that differ from `stored`). The secret is sent only when
 * typed: it is never shown back, so an empty input means "keep". The access key ID is shown, and sent when changed
 * (an emptied input keeps the stored one, as the form always did).
 */
export function targetRequestOf(draft: TargetDraft, stored: TargetInfo | null): TargetInput {
  const fields = apiFields(draft);
  const body: Record<string, unknown> = {};
  if (stored === null) {
    Object.assign(body, { id: draft.id.trim(), kind: draft.kind }, fields);
  } else {
    const before = apiFields(targetDraftOf(stored));
    for (const [key, value] of Object.entries(fields)) if (JSON.stringify(value) !== JSON.stringify(before[key])) body[key] = value;
  }
  if (draft.kind === 's3') {
    const keyId = draft.access_key_id.trim();
    if (keyId && keyId !== (stored?.access_key_id ?? '')) body.access_key_id = keyId;
    if (draft.secret_access_key) body.secret_access_key = draft.secret_access_key;
  }
  return body as TargetInput;
}

/** The draft field an API error names (details.field: "schedule", "object_lock.days", …); undefined when none. */
export function draftFieldOf(error: unknown, draft: TargetDraft): DraftField | undefined {
  if (!(error instanceof ApiError) || !error.field) return undefined;
  const field = error.field;
  if (field === 'schedule') return draft.schedule === 'cron' ? 'cron' : 'schedule';
  if (field === 'object_lock.days') return 'lock_days';
  if (field === 'object_lock' || field === 'object_lock.mode') return 'lock_mode';
  if (field === 'incremental.full_every') return draft.full_every === 'count' ? 'full_every_count' : 'full_every';
  if (field === 'incremental.max_chain_ratio') return 'max_chain_percent';
  if (field === 'incremental' || field === 'incremental.enabled') return 'incremental_enabled';
  return field in draft ? (field as DraftField) : undefined;
}

const DAILY_AT_ONE = new Set(['local']);

/** A schedule in words, for the list (the API's schedules, when it has them, say more: next runs). */
export function scheduleWords(target: Pick<TargetInfo, 'id' | 'schedule' | 'built_in'>): string {
  const at = target.built_in && DAILY_AT_ONE.has(target.id) ? '01:00' : '03:00';
  switch (target.schedule) {
    case 'daily':
      return `every day at ${at}`;
    case 'weekly':
      return `every Sunday at ${at}`;
    case 'monthly':
      return `on the 1st of each month at ${at}`;
    case 'hourly':
      return 'every hour';
    default:
      return target.schedule.startsWith('cron:') ? `cron ${target.schedule.slice('cron:'.length)}` : target.schedule;
  }
}

/** Where a target keeps its backups, in one line. */
export function targetPlace(target: TargetInfo): string {
  if (target.kind === 'folder') return target.path || 'no folder set';
  const store = target.endpoint ? target.endpoint.replace(/^https?:\/\//, '') : target.id === 'r2' ? 'Cloudflare R2' : 'no endpoint set';
  return `${store} · ${target.bucket || 'no bucket set'}${target.prefix ? `/${target.prefix}` : ''}`;
}
