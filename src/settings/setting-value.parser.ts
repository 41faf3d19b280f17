import type { SettingDefinition, SettingValue } from './setting-definitions.js';

/** A value that does not fit its setting; the message says what is allowed. */
export class InvalidSettingValue extends Error {}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Checks and normalises a value for a setting, from JSON (PUT body) or from an environment
 * variable. Returns the canonical value: flags as 1/0, integers as numbers, the rest as strings.
 */
export function parseSettingValue(def: SettingDefinition, input: unknown): SettingValue {
  const describe = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));
  switch (def.kind) {
    case 'flag': {
      const normalized = typeof input === 'string' ? input.trim().toLowerCase() : input;
      if (normalized === true || normalized === 1 || normalized === '1' || normalized === 'true') return 1;
      if (normalized === false || normalized === 0 || normalized === '0' || normalized === 'false') return 0;
      throw new InvalidSettingValue(`${def.key} must be 1 or 0 (or true/false), got ${describe(input)}`);
    }
    case 'integer': {
      const n = typeof input === 'string' && /^\s*-?\d+\s*$/.test(input) ? Number(input) : input;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 36500) {
        throw new InvalidSettingValue(`${def.key} must be a whole number of days from 0 to 36500 (0 = keep forever), got ${describe(input)}`);
      }
      return n;
    }
    case 'choice': {
      const s = typeof input === 'string' ? input.trim().toLowerCase() : input;
      if (typeof s !== 'string' || !def.choices?.includes(s)) {
        throw new InvalidSettingValue(`${def.key} must be one of: ${def.choices?.join(', ')} (got ${describe(input)})`);
      }
      return s;
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
        throw new InvalidSettingValue(`${def.key} must be an http(s) URL without credentials, query or fragment, such as https://s3.example.com, got ${describe(input)}`);
      }
      return s.replace(/\/+$/, '');
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
      if (typeof input !== 'string' || input.trim() === '' || input.includes('\0')) {
        throw new InvalidSettingValue(`${def.key} must be a folder path (absolute, or relative to the working directory), got ${describe(input)}`);
      }
      return input.trim();
    }
    case 'prefix':
      return parseKeyPrefix(def.key, input);
    case 'text':
    case 'secret': {
      if (typeof input !== 'string') throw new InvalidSettingValue(`${def.key} must be a string, got ${typeof input}`);
      const s = input.trim();
      if (s.length > 1024 || /[\u0000-\u001f]/.test(s)) throw new InvalidSettingValue(`${def.key} must be at most 1024 printable characters`);
      return s;
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
