import path from 'node:path';
import { EnvironmentError, parseEnvironment } from './environment.js';

const TOKEN = '0123456789abcdef0123456789abcdef';

describe('parseEnvironment', () => {
  it('has the documented defaults', () => {
    const env = parseEnvironment({}, '/srv/app');
    expect(env).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: path.resolve('/srv/app/data'),
      logFile: path.resolve('/srv/app/logs/sentinel-backup.log'),
      apiToken: undefined,
      allowedHosts: [],
      databases: ['universe', 'config', 'ledger', 'portfolio', 'agents', 'history', 'cache'],
      schedulesEnabled: true,
      storageTimeoutMs: 30 * 60 * 1000,
      restartMode: 'in-process',
      duplicateWindowMinutes: 60,
    });
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT: 'eighty' is not a whole number/],
    [{ PORT: '70000' }, /PORT: 70000 is out of range/],
    [{ TZ: 'Mars/Olympus' }, /TZ: 'Mars\/Olympus' is not a known IANA time zone/],
    [{ HOST: '0.0.0.0' }, /HOST: '0.0.0.0' is not a loopback address and SENTINEL_API_TOKEN is not set/],
    [{ SENTINEL_API_TOKEN: 'short' }, /SENTINEL_API_TOKEN: must be at least 32 characters/],
    [
      { SENTINEL_API_TOKEN: '0123456789abcdef0123456789abcde' },
      /SENTINEL_API_TOKEN: must be at least 32 characters long \(got 31\); make one with: openssl rand -hex 32/,
    ],
    [
      { HOST: '0.0.0.0', SENTINEL_API_TOKEN: TOKEN },
      /SENTINEL_ALLOWED_HOSTS: must be set when HOST \('0.0.0.0'\) is not a loopback address.*SENTINEL_ALLOWED_HOSTS=backup.example.lan/,
    ],
    [{ HOST: 'backup.lan', SENTINEL_API_TOKEN: TOKEN }, /SENTINEL_ALLOWED_HOSTS: must be set when HOST/],
    [{ SENTINEL_ALLOWED_HOSTS: 'https://backup.lan' }, /SENTINEL_ALLOWED_HOSTS: 'https:\/\/backup.lan' is not a host name.*no scheme or path/],
    [{ SENTINEL_ALLOWED_HOSTS: 'backup.lan,*.example.com' }, /SENTINEL_ALLOWED_HOSTS: '\*.example.com' is not a host name/],
    [{ SENTINEL_ALLOWED_HOSTS: 'backup.lan:99999' }, /SENTINEL_ALLOWED_HOSTS: 'backup.lan:99999' is not a host name/],
    [{ SENTINEL_MASTER_KEY: 'short' }, /SENTINEL_MASTER_KEY: must be 64 hex characters/],
    [{ SENTINEL_DATABASES: 'universe,ledger' }, /SENTINEL_DATABASES: must include 'config'/],
    [{ SENTINEL_DATABASES: 'config,Bad Name' }, /SENTINEL_DATABASES: 'Bad Name' is not a valid database name/],
    [{ SENTINEL_DATABASES: 'config,config' }, /lists a database twice/],
    [{ SENTINEL_SCHEDULES: 'sometimes' }, /SENTINEL_SCHEDULES: 'sometimes' is not a flag/],
    [{ SENTINEL_RESTART_MODE: 'reboot' }, /SENTINEL_RESTART_MODE: 'reboot' is not allowed/],
  ])('refuses %p with one line naming the variable', (raw, message) => {
    let error: unknown;
    try {
      parseEnvironment(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toMatch(/^Invalid environment variable [A-Z_]+: /);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('bounds the shutdown limit: 30 s by default, 1 s to 10 min', () => {
    expect(parseEnvironment({}).shutdownTimeoutMs).toBe(30_000);
    expect(parseEnvironment({ SENTINEL_SHUTDOWN_TIMEOUT_MS: '2000' }).shutdownTimeoutMs).toBe(2000);
    expect(() => parseEnvironment({ SENTINEL_SHUTDOWN_TIMEOUT_MS: '500' })).toThrow(
      /^Invalid environment variable SENTINEL_SHUTDOWN_TIMEOUT_MS: 500 is out of range \(allowed: 1000 to 600000\)$/,
    );
    expect(() => parseEnvironment({ SENTINEL_SHUTDOWN_TIMEOUT_MS: 'soon' })).toThrow(/SENTINEL_SHUTDOWN_TIMEOUT_MS: 'soon' is not a whole number/);
  });

  it('accepts a non-loopback HOST when a token and the allowed host names are set, and another database set', () => {
    const env = parseEnvironment({ HOST: '0.0.0.0', SENTINEL_API_TOKEN: TOKEN, SENTINEL_ALLOWED_HOSTS: 'backup.lan', SENTINEL_DATABASES: 'config, trades' });
    expect(env.host).toBe('0.0.0.0');
    expect(env.databases).toEqual(['config', 'trades']);
  });

  it('reads SENTINEL_ALLOWED_HOSTS as names with optional ports, lower-cased', () => {
    const env = parseEnvironment({ SENTINEL_ALLOWED_HOSTS: ' Backup.LAN , 192.168.1.20:8080,[fd00::1]:9000,nas.' });
    expect(env.allowedHosts).toEqual([
      { hostname: 'backup.lan', port: undefined },
      { hostname: '192.168.1.20', port: 8080 },
      { hostname: '[fd00::1]', port: 9000 },
      { hostname: 'nas', port: undefined },
    ]);
  });
});
