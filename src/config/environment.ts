import path from 'node:path';

/** The seven databases Sentinel keeps its state in; the default for SENTINEL_DATABASES. */
export const DEFAULT_DATABASES = ['universe', 'config', 'ledger', 'portfolio', 'agents', 'history', 'cache'] as const;

export type RestartMode = 'in-process' | 'exit';

/** Exit code used when SENTINEL_RESTART_MODE=exit asks a supervisor to restart the service. */
export const RESTART_EXIT_CODE = 75;

/** The service's configuration, read once from the environment and validated at boot. */
export interface Environment {
  port: number;
  host: string;
  dataDir: string;
  logFile: string;
  apiToken: string | undefined;
  /** SENTINEL_METRICS_TOKEN: a second token that opens GET /metrics only (for Prometheus), besides the API token. */
  metricsToken: string | undefined;
  /** SENTINEL_ALLOWED_HOSTS: names (optionally with a port) besides loopback that a request's Host may carry. */
  allowedHosts: AllowedHost[];
  masterKey: string | undefined;
  timeZone: string;
  databases: string[];
  schedulesEnabled: boolean;
  /**
   * SENTINEL_COUNT_S3_REQUESTS: whether this process keeps the S3 requests it sends in DATA_DIR/.s3-requests.db (the
   * cost estimate's counts). The command line turns it off: a command on a DATA_DIR writes nothing there it was not
   * asked to (a refused restore leaves the folder as it was).
   */
  countS3Requests: boolean;
  storageTimeoutMs: number;
  restartMode: RestartMode;
  duplicateWindowMinutes: number;
  /** After SIGTERM/SIGINT, how long a graceful stop may take before the process exits anyway (code 1). */
  shutdownTimeoutMs: number;
  /** Every variable as given (process environment over `.env`), for the settings' fallbacks. */
  raw: Readonly<Record<string, string | undefined>>;
}

/** One entry of SENTINEL_ALLOWED_HOSTS: a lower-case hostname (IPv6 in brackets) and, when given, the one port it is allowed with. */
export interface AllowedHost {
  hostname: string;
  port: number | undefined;
}

/** Shortest API token accepted: 32 characters, what `openssl rand -hex 16` gives; the hint asks for 64 hex characters. */
export const MIN_API_TOKEN_LENGTH = 32;

/** A bad environment variable: the message is one line that names it and says what is allowed. */
export class EnvironmentError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid environment variable ${variable}: ${message}`);
  }
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|\[::1\]|localhost)$/i;

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/;
const IPV6_LITERAL = /^\[[0-9a-f:.]+\]$/;

/** SENTINEL_ALLOWED_HOSTS: `name` or `name:port`, comma-separated; no scheme, path or wildcard, so an entry means exactly one name. */
function allowedHosts(raw: Record<string, string | undefined>): AllowedHost[] {
  const value = raw.SENTINEL_ALLOWED_HOSTS?.trim() ?? '';
  if (value === '') return [];
  return value.split(',').map((entry) => {
    const text = entry.trim().toLowerCase();
    const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(text);
    const hostname = match?.[1] ?? '';
    const port = match?.[2] === undefined ? undefined : Number(match[2]);
    if (!match || !(HOSTNAME.test(hostname) || IPV6_LITERAL.test(hostname)) || (port !== undefined && (port < 1 || port > 65535))) {
      throw new EnvironmentError(
        'SENTINEL_ALLOWED_HOSTS',
        `'${entry.trim()}' is not a host name: list the names browsers use to reach this service, each as name or name:port, comma-separated (for example: backup.example.lan,192.168.1.20:8080), with no scheme or path`,
      );
    }
    return { hostname: hostname.replace(/\.$/, ''), port };
  });
}

/** A whole-number variable within [min, max], or `fallback` when unset; used by every module's options. */
export function integer(raw: Readonly<Record<string, string | undefined>>, name: string, fallback: number, min: number, max: number): number {
  const value = raw[name];
  if (value === undefined || value.trim() === '') return fallback;
  if (!/^\d+$/.test(value.trim())) throw new EnvironmentError(name, `'${value}' is not a whole number (allowed: ${min} to ${max})`);
  const n = Number(value);
  if (n < min || n > max) throw new EnvironmentError(name, `${n} is out of range (allowed: ${min} to ${max})`);
  return n;
}

function flag(raw: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const value = raw[name]?.trim().toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(value)) return true;
  if (['0', 'false', 'off', 'no'].includes(value)) return false;
  throw new EnvironmentError(name, `'${raw[name]}' is not a flag (use on/off, true/false or 1/0)`);
}

/**
 * Parses and validates the environment. Throws EnvironmentError naming the first bad variable,
 * so that the service refuses to start with one clear line instead of failing later.
 */
export function parseEnvironment(raw: Record<string, string | undefined>, cwd = process.cwd()): Environment {
  const port = integer(raw, 'PORT', 8080, 0, 65535);
  const host = (raw.HOST ?? '').trim() || '127.0.0.1';
  const dataDir = path.resolve(cwd, raw.DATA_DIR?.trim() || './data');
  const logFile = path.resolve(cwd, raw.LOG_FILE?.trim() || './logs/sentinel-backup.log');

  const apiToken = raw.SENTINEL_API_TOKEN?.trim() || undefined;
  if (apiToken !== undefined && apiToken.length < MIN_API_TOKEN_LENGTH) {
    throw new EnvironmentError(
      'SENTINEL_API_TOKEN',
      `must be at least ${MIN_API_TOKEN_LENGTH} characters long (got ${apiToken.length}); make one with: openssl rand -hex 32`,
    );
  }
  if (!apiToken && !isLoopbackHost(host)) {
    throw new EnvironmentError(
      'HOST',
      `'${host}' is not a loopback address and SENTINEL_API_TOKEN is not set. The API can download and replace every database, ` +
        'so it only listens beyond this machine with a token: set SENTINEL_API_TOKEN, or use HOST=127.0.0.1',
    );
  }
  const metricsToken = raw.SENTINEL_METRICS_TOKEN?.trim() || undefined;
  if (metricsToken !== undefined && metricsToken.length < MIN_API_TOKEN_LENGTH) {
    throw new EnvironmentError(
      'SENTINEL_METRICS_TOKEN',
      `must be at least ${MIN_API_TOKEN_LENGTH} characters long (got ${metricsToken.length}); make one with: openssl rand -hex 32`,
    );
  }
  const hosts = allowedHosts(raw);
  // A request whose Host is not ours is refused (DNS rebinding); off loopback the names clients use must be known.
  if (hosts.length === 0 && !isLoopbackHost(host)) {
    throw new EnvironmentError(
      'SENTINEL_ALLOWED_HOSTS',
      `must be set when HOST ('${host}') is not a loopback address: list the names clients use to reach this service, comma-separated ` +
        '(for example: SENTINEL_ALLOWED_HOSTS=backup.example.lan,192.168.1.20); requests for any other Host are refused',
    );
  }

  const masterKey = raw.SENTINEL_MASTER_KEY?.trim() || undefined;
  if (masterKey !== undefined && masterKey.length < 16) {
    throw new EnvironmentError('SENTINEL_MASTER_KEY', 'must be 64 hex characters, 32 bytes in base64, or a passphrase of at least 16 characters');
  }

  const timeZone = raw.TZ?.trim() || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new EnvironmentError('TZ', `'${timeZone}' is not a known IANA time zone (for example: UTC, Europe/Berlin)`);
  }

  const databases = (raw.SENTINEL_DATABASES?.trim() || DEFAULT_DATABASES.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  for (const name of databases) {
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(name)) {
      throw new EnvironmentError(
        'SENTINEL_DATABASES',
        `'${name}' is not a valid database name (lower-case letters, digits, '_' and '-', starting with a letter)`,
      );
    }
  }
  if (new Set(databases).size !== databases.length) {
    throw new EnvironmentError('SENTINEL_DATABASES', 'lists a database twice');
  }
  if (!databases.includes('config')) {
    throw new EnvironmentError('SENTINEL_DATABASES', "must include 'config': the backup settings are stored in config.db");
  }

  const restartMode = (raw.SENTINEL_RESTART_MODE?.trim() || 'in-process') as RestartMode;
  if (restartMode !== 'in-process' && restartMode !== 'exit') {
    throw new EnvironmentError('SENTINEL_RESTART_MODE', `'${raw.SENTINEL_RESTART_MODE}' is not allowed (use in-process or exit)`);
  }

  return {
    port,
    host,
    dataDir,
    logFile,
    apiToken,
    metricsToken,
    allowedHosts: hosts,
    masterKey,
    timeZone,
    databases,
    schedulesEnabled: flag(raw, 'SENTINEL_SCHEDULES', true),
    countS3Requests: flag(raw, 'SENTINEL_COUNT_S3_REQUESTS', true),
    storageTimeoutMs: integer(raw, 'SENTINEL_STORAGE_TIMEOUT_MS', 30 * 60 * 1000, 1000, 24 * 60 * 60 * 1000),
    restartMode,
    duplicateWindowMinutes: integer(raw, 'SENTINEL_DUPLICATE_WINDOW_MINUTES', 60, 0, 7 * 24 * 60),
    shutdownTimeoutMs: integer(raw, 'SENTINEL_SHUTDOWN_TIMEOUT_MS', 30_000, 1000, 10 * 60 * 1000),
    raw: Object.freeze({ ...raw }),
  };
}
