/** `backup-metadata.json`, the first entry of every archive, exactly the spec's fields. */
export const METADATA_FILENAME = 'backup-metadata.json';
export const METADATA_FORMAT_VERSION = '1.0.0';

export interface DatabaseEntry {
  name: string;
  filename: string;
  size_bytes: number;
  /** `sha256:<64 hex>` of the file as stored in the archive. */
  checksum: string;
}

export interface BackupMetadata {
  /** ISO 8601 UTC, seconds precision: `2026-01-08T14:30:22Z`. */
  timestamp: string;
  version: string;
  sentinel_version: string;
  databases: DatabaseEntry[];
}

/** Largest metadata file accepted when reading an archive (it lists a handful of databases). */
export const MAX_METADATA_BYTES = 1024 * 1024;

export function isoSeconds(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Checks a parsed metadata document; returns a list of problems (empty when valid). Used when
 * reading archives, including ones assembled by hand, so each problem says what is wrong.
 */
export function metadataProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['backup-metadata.json is not a JSON object'];
  const m = value as Record<string, unknown>;
  if (typeof m.timestamp !== 'string' || Number.isNaN(Date.parse(m.timestamp))) problems.push('"timestamp" must be an ISO 8601 date string');
  if (typeof m.version !== 'string') problems.push('"version" must be a string');
  else if (!/^1\.\d+\.\d+$/.test(m.version)) problems.push(`"version" ${m.version} is not a format this service reads (1.x)`);
  if (!Array.isArray(m.databases) || m.databases.length === 0) {
    problems.push('"databases" must be a non-empty list');
    return problems;
  }
  const seen = new Set<string>();
  m.databases.forEach((entry: unknown, i: number) => {
    const e = entry as Record<string, unknown>;
    const where = `databases[${i}]`;
    if (typeof e !== 'object' || e === null) return void problems.push(`${where} is not an object`);
    if (typeof e.name !== 'string' || !/^[a-z][a-z0-9_-]{0,63}$/.test(e.name)) problems.push(`${where}.name is missing or not a database name`);
    if (typeof e.filename !== 'string' || e.filename !== `${String(e.name)}.db`) problems.push(`${where}.filename must be "<name>.db"`);
    if (typeof e.size_bytes !== 'number' || !Number.isSafeInteger(e.size_bytes) || e.size_bytes < 0)
      problems.push(`${where}.size_bytes must be a whole number of bytes`);
    if (typeof e.checksum !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(e.checksum))
      problems.push(`${where}.checksum must be "sha256:" and 64 lower-case hex digits`);
    if (typeof e.name === 'string') {
      if (seen.has(e.name)) problems.push(`${where}.name "${e.name}" is listed twice`);
      seen.add(e.name);
    }
  });
  return problems;
}
