import { LONGEST_CHAIN } from '../archive-format/incremental-metadata.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';

/**
 * A target's incremental-backup policy (issue 19, docs/incremental-backups.md): whether backups between full ones
 * are increments, when the next one must be full again (`full_every`: the chain's full backup is from before today,
 * or before this ISO week, in the service's time zone; or that many increments were made), and past which share of
 * the full archive's size the chain's increments force a full backup (`max_chain_ratio`). In the API's names, as
 * GET /api/targets shows it, an added target's row stores it and the production (BackupKindDecision) reads it.
 */
export interface IncrementalPolicy {
  enabled: boolean;
  full_every: 'daily' | 'weekly' | number;
  max_chain_ratio: number;
}

/** Off: every backup full, made exactly as before increments existed. */
export const DEFAULT_INCREMENTAL_POLICY: Readonly<IncrementalPolicy> = Object.freeze({ enabled: false, full_every: 'daily', max_chain_ratio: 0.5 });

/** A policy never makes a chain longer than a restore follows. */
export const FULL_EVERY_MAX = LONGEST_CHAIN;
export const CHAIN_RATIO_MIN = 0.01;
export const CHAIN_RATIO_MAX = 10;
const FIELDS = ['enabled', 'full_every', 'max_chain_ratio'] as const;

/** A target's policy: its own, or the default for a target that never set one. */
export function incrementalPolicyOf(target: { incremental?: IncrementalPolicy }): IncrementalPolicy {
  return { ...(target.incremental ?? DEFAULT_INCREMENTAL_POLICY) };
}

/** A copy of the policy, for a response or a stored row. */
export function incrementalFields(policy: IncrementalPolicy): IncrementalPolicy {
  return { enabled: policy.enabled, full_every: policy.full_every, max_chain_ratio: policy.max_chain_ratio };
}

function refused(field: string, message: string): DomainError {
  return new DomainError(ErrorCode.InvalidInput, message, { field });
}

/**
 * `current` with the fields of `input` (an object holding any of enabled, full_every, max_chain_ratio) applied,
 * each checked; a wrong one is refused with a 400 naming it (`incremental.full_every`) and what is allowed, before
 * anything is changed. Fields not sent keep their current values.
 */
export function applyIncrementalInput(current: IncrementalPolicy, input: unknown): IncrementalPolicy {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw refused(
      'incremental',
      `incremental must be an object such as {"enabled": true, "full_every": "daily", "max_chain_ratio": 0.5} (any of its fields), got ${JSON.stringify(input)?.slice(0, 60) ?? typeof input}`,
    );
  }
  const fields = input as Record<string, unknown>;
  const extra = Object.keys(fields).filter((key) => !(FIELDS as readonly string[]).includes(key));
  if (extra.length > 0) {
    throw refused(
      'incremental',
      `incremental takes only enabled, full_every and max_chain_ratio, not ${extra
        .slice(0, 3)
        .map((key) => JSON.stringify(key.slice(0, 40)))
        .join(', ')}`,
    );
  }
  const next = { ...current };
  if (fields.enabled !== undefined) {
    if (typeof fields.enabled !== 'boolean')
      throw refused('incremental.enabled', `incremental.enabled must be true or false, got ${JSON.stringify(fields.enabled)?.slice(0, 60)}`);
    next.enabled = fields.enabled;
  }
  if (fields.full_every !== undefined) {
    const value = fields.full_every;
    const count = typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= FULL_EVERY_MAX;
    if (value !== 'daily' && value !== 'weekly' && !count) {
      throw refused(
        'incremental.full_every',
        `incremental.full_every must be "daily", "weekly" or a whole number of increments from 1 to ${FULL_EVERY_MAX} after which the next backup is full, got ${JSON.stringify(value)?.slice(0, 60)}`,
      );
    }
    next.full_every = value as IncrementalPolicy['full_every'];
  }
  if (fields.max_chain_ratio !== undefined) {
    const value = fields.max_chain_ratio;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < CHAIN_RATIO_MIN || value > CHAIN_RATIO_MAX) {
      throw refused(
        'incremental.max_chain_ratio',
        `incremental.max_chain_ratio must be a number from ${CHAIN_RATIO_MIN} to ${CHAIN_RATIO_MAX} (the share of the full archive's size the chain's increments may add up to, such as 0.5), got ${JSON.stringify(value)?.slice(0, 60)}`,
      );
    }
    next.max_chain_ratio = value;
  }
  return next;
}

/** A stored policy read back: what it holds where valid, the default for anything missing or damaged (never a failure of the target). */
export function readStoredIncremental(stored: unknown): IncrementalPolicy {
  try {
    return applyIncrementalInput({ ...DEFAULT_INCREMENTAL_POLICY }, stored);
  } catch {
    return { ...DEFAULT_INCREMENTAL_POLICY };
  }
}
