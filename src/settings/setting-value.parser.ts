import { parseScheduleValue } from '../common/schedules/backup-schedule.js';
import { InvalidScheduleValue } from '../common/schedules/invalid-schedule-value.js';
import type { SettingDefinition, SettingValue } from './setting-definitions.js';

/** A value that does not fit its setting; the message says what is allowed. */
export class InvalidSettingValue extends Error {}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Cloudflare's IDs are 32 hex characters; letters, digits, '-' and '_' keep the spec's example `your_account_id` valid. */
const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/**
 * C0 and C1 control characters, DEL and the Unicode line/paragraph separators. A value is written into
 * log lines, file paths and URLs: a line break in one forged a whole line of LOG_FILE.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** PATH_MAX on Linux; a longer folder cannot be opened anyway, and every log line that names it would carry it. */
export const MAX_PATH_LENGTH = 4096;
/** The largest keep_hourly … keep_yearly: more than a year of hours, and far more backups than a target holds. */
export const MAX_KEEP_COUNT = 10000;
/** Text settings (account ID, endpoint, secrets): far more than any real value needs. */
export const MAX_TEXT_LENGTH = 1024;

/** The value as a message may quote it: JSON-escaped and cut short, so an error line stays one short line. */
function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Refuses control characters and over-long strings, for every kind of setting; secrets are never quoted. */
function checkString(def: SettingDefinition, input: string, maxLength: number): void {
  if (input.length > maxLength) {
    throw new InvalidSettingValue(`${def.key} is too long: ${input.length} characters, at most ${maxLength} are allowed`);
  }
  const found = CONTROL.exec(input);
  if (found) {
    const code = `U+${found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new InvalidSettingValue(
      `${def.key} must not contain control characters such as line breaks or tabs: found ${code} at position ${found.index + 1}. Enter the value on one line, without control characters`,
    );
  }
}

/**
 * Checks and normalises a value for a setting, from JSON (PUT body) or from an environment
 * variable. Returns the canonical value: flags as 1/0, integers as numbers, the rest as strings.
 * Every string is checked for control characters and length first, whatever its kind.
 */
export function parseSettingValue(def: SettingDefinition, input: unknown): SettingValue {
  if (typeof input === 'string') checkString(def, input, def.kind === 'path' ? MAX_PATH_LENGTH : MAX_TEXT_LENGTH);
  switch (def.kind) {
    case 'flag': {
      const normalized = typeof input === 'string' ? input.trim().toLowerCase() : input;
      if (normalized === true || normalized === 1 || normalized === '1' || normalized === 'true') return 1;
      if (normalized === false || normalized === 0 || normalized === '0' || normalized === 'false') return 0;
      throw new InvalidSettingValue(`${def.key} must be 1 or 0 (or true/false), got ${describe(input)}`);
    }
    case 'integer': {
      const n = typeof input === 'string' && /^\s*-?\d+\s*$/.test(input) ? Number(input) : input;
      const minimum = def.minimum ?? 0;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < minimum || n > 36500) {
        throw new InvalidSettingValue(
          `${def.key} must be a whole number of days from ${minimum} to 36500${minimum === 0 ? ' (0 = keep forever)' : ''}, got ${describe(input)}`,
        );
      }
      return n;
    }
    case 'keep-count': {
      if (input === null || (typeof input === 'string' && input.trim() === '')) return '';
      const n = typeof input === 'string' && /^\s*\d+\s*$/.test(input) ? Number(input) : input;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_KEEP_COUNT) {
        throw new InvalidSettingValue(
          `${def.key} must be a whole number from 0 to ${MAX_KEEP_COUNT} (how many of the most recent periods keep their newest backup), or empty to unset it; got ${describe(input)}`,
        );
      }
      return n;
    }
    case 'choice': {
      const s = typeof input === 'string' ? input.trim().toLowerCase() : input;
      if (typeof s !== 'string' || !def.choices?.includes(s)) {
        const allowed = def.choices?.map((choice) => (choice === '' ? "'' (off)" : choice)).join(', ');
        throw new InvalidSettingValue(`${def.key} must be one of: ${allowed} (got ${describe(input)})`);
      }
      return s;
    }
    case 'schedule': {
      if (typeof input !== 'string') {
        throw new InvalidSettingValue(`${def.key} must be daily, weekly, monthly, hourly or cron:<five fields> as a string, got ${describe(input)}`);
      }
      try {
        return parseScheduleValue(input);
      } catch (error) {
        if (error instanceof InvalidScheduleValue) throw new InvalidSettingValue(error.about(def.key));
        throw error;
      }
    }
    case 'url': {
      if (typeof input !== 'string') throw new InvalidSettingValue(`${def.key} must be a URL string or empty, got ${describe(input)}`);
      const s = input.trim();
      if (s === '') return '';
      let url: URL;
      try {
        url = new URL(s);
      } catch {
        throw new InvalidSettingValue(`${def.key} must be an http(s) URL such as https://s3.example.com or empty for R2, got ${describe(input)}`);
      }
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname || url.username || url.password || url.search || url.hash) {
        throw new InvalidSettingValue(
          `${def.key} must be an http(s) URL without credentials, query or fragment, such as https://s3.example.com, got ${describe(input)}`,
        );
      }
      // The S3 client appends the bucket and key to the endpoint; a path here would silently move every object.
      if (url.pathname !== '/') {
        throw new InvalidSettingValue(
          `${def.key} must be the endpoint's origin only, scheme://host[:port] such as https://s3.example.com: drop the path ${describe(url.pathname)}. ` +
            'If the path named your bucket, put the bucket in r2_bucket_name instead',
        );
      }
      return url.origin;
    }
    case 'account': {
      if (typeof input !== 'string') throw new InvalidSettingValue(`${def.key} must be a string, got ${typeof input}`);
      const s = input.trim();
      if (s !== '' && !ACCOUNT_ID.test(s)) {
        throw new InvalidSettingValue(
          `${def.key} must be your Cloudflare account ID: up to 64 letters, digits, '-' or '_' (the dashboard's R2 overview shows 32 hex characters), got ${describe(s)}`,
        );
      }
      return s;
    }
    case 'bucket': {
      if (typeof input !== 'string') throw new InvalidSettingValue(`${def.key} must be a bucket name string, got ${describe(input)}`);
      const s = input.trim();
      if (s !== '' && (!BUCKET.test(s) || s.includes('..'))) {
        throw new InvalidSettingValue(`${def.key} must be a bucket name of 3 to 63 lower-case letters, digits, '.' or '-', got ${describe(input)}`);
      }
      return s;
    }
    case 'path': {
      if (typeof input !== 'string' || input.trim() === '') {
        throw new InvalidSettingValue(`${def.key} must be a folder path (absolute, or relative to the working directory), got ${describe(input)}`);
      }
      return input.trim();
    }
    case 'prefix':
      return parseKeyPrefix(def.key, input);
    case 'target': {
      // Which targets exist, and whether the choice makes a cycle, is the targets module's check (SettingsService.addValueCheck).
      if (input === null) return '';
      if (typeof input !== 'string')
        throw new InvalidSettingValue(`${def.key} must be a target id such as 'local' or 'r2', or empty for none, got ${describe(input)}`);
      const s = input.trim();
      if (s !== '' && !/^[a-z0-9-]{1,32}$/.test(s)) {
        throw new InvalidSettingValue(
          `${def.key} must be a target id (1 to 32 lower-case letters, digits or '-', such as 'local' or 'r2') or empty for none, got ${describe(input)}`,
        );
      }
      return s;
    }
    case 'text':
    case 'secret': {
      // Never quoted: a secret's value must not reach a response or a log.
      if (typeof input !== 'string') throw new InvalidSettingValue(`${def.key} must be a string, got ${typeof input}`);
      return input.trim();
    }
  }
}

/** The longest r2_prefix: with a 200-byte backup name it stays far within S3's 1,024-byte keys. */
export const MAX_PREFIX_BYTES = 256;

/**
 * A key prefix (r2_prefix): empty for the bucket's root, else folder names joined by '/' and ending in
 * '/' (added when missing). No control characters, no leading '/', no empty, '.' or '..' segment, no '\\':
 * every S3 service and console shows such a prefix as the same folder.
 */
function parseKeyPrefix(key: string, input: unknown): string {
  if (typeof input !== 'string') throw new InvalidSettingValue(`${key} must be a string such as 'office/' or empty, got ${typeof input}`);
  const s = input.trim();
  if (s === '') return '';
  const normalised = s.endsWith('/') ? s : `${s}/`;
  const example = "such as 'office/' or 'backups/office/'";
  if (/[\u0000-\u001f\u007f-\u009f]/.test(s)) throw new InvalidSettingValue(`${key} must not contain control characters: use a folder name ${example}`);
  if (s.startsWith('/')) throw new InvalidSettingValue(`${key} must not start with '/': use a folder name ${example}`);
  if (s.includes('\\')) throw new InvalidSettingValue(`${key} must not contain '\\': separate folders with '/', ${example}`);
  const segments = normalised.slice(0, -1).split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new InvalidSettingValue(`${key} must not contain empty, '.' or '..' folder names: use a folder name ${example}`);
  }
  if (Buffer.byteLength(normalised) > MAX_PREFIX_BYTES) throw new InvalidSettingValue(`${key} must be at most ${MAX_PREFIX_BYTES} bytes long`);
  return normalised;
}
