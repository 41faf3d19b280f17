import { findDefinition, type SettingDefinition } from './setting-definitions.js';
import { InvalidSettingValue, MAX_PATH_LENGTH, MAX_TEXT_LENGTH, parseSettingValue } from './setting-value.parser.js';

const def = (key: string): SettingDefinition => findDefinition(key)!;
const refusal = (key: string, value: unknown): string => {
  try {
    parseSettingValue(def(key), value);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSettingValue);
    return (error as Error).message;
  }
  throw new Error(`${key} = ${JSON.stringify(value)} was accepted`);
};

describe('parseSettingValue', () => {
  it.each([
    ['local_backup_dir', '/srv/backups\n2026-12-01T00:00:00.000Z LOG [Backup] forged', 'U+000A'],
    ['local_backup_dir', '/srv/back\rups', 'U+000D'],
    ['local_backup_dir', '/srv/back\u0000ups', 'U+0000'],
    ['r2_account_id', 'abc\tdef', 'U+0009'],
    ['r2_endpoint', 'https://s3.example.com\u0085', 'U+0085'],
    ['r2_access_key_id', 'AKIA\u001bEXAMPLE', 'U+001B'],
    ['r2_bucket_name', 'bucket\u2028', 'U+2028'],
  ])('refuses a control character in %s, naming it', (key, value, code) => {
    const message = refusal(key, value);
    expect(message).toContain(code);
    expect(message).toMatch(/must not contain control characters/);
  });

  it('takes keep_* as a whole number from 0 to 10000 or empty (unset), and refuses anything else naming the key', () => {
    for (const [input, value] of [
      [0, 0],
      [24, 24],
      [' 7 ', 7],
      ['10000', 10000],
      ['', ''],
      ['  ', ''],
    ] as const) {
      expect(parseSettingValue(def('local_backup_keep_hourly'), input)).toBe(value);
    }
    // null (from the environment or a client that clears with null) unsets it too.
    expect(parseSettingValue(def('r2_backup_keep_yearly'), null)).toBe('');
    for (const bad of [-1, '-1', 10001, 2.5, '2.5', 'seven', '1e3', true, [3], { n: 3 }]) {
      expect(refusal('r2_backup_keep_monthly', bad)).toMatch(/^r2_backup_keep_monthly must be a whole number from 0 to 10000 .*or empty to unset it; got /);
    }
  });

  it('bounds lengths: paths 4,096 characters, text 1,024, without quoting the value', () => {
    expect(parseSettingValue(def('local_backup_dir'), `/${'a'.repeat(MAX_PATH_LENGTH - 1)}`)).toHaveLength(MAX_PATH_LENGTH);
    const longPath = `/${'a'.repeat(90 * 1024)}`;
    const message = refusal('local_backup_dir', longPath);
    expect(message).toMatch(/too long: 92161 characters, at most 4096/);
    expect(message.length).toBeLessThan(200);
    expect(refusal('r2_secret_access_key', 's'.repeat(MAX_TEXT_LENGTH + 1))).toMatch(/at most 1024/);
    expect(refusal('r2_endpoint', `https://${'h'.repeat(MAX_TEXT_LENGTH)}.example.com`)).toMatch(/at most 1024/);
  });

  it('takes an account ID of letters, digits, - and _ up to 64 characters, the spec example included', () => {
    expect(parseSettingValue(def('r2_account_id'), 'your_account_id')).toBe('your_account_id');
    expect(parseSettingValue(def('r2_account_id'), '0123456789abcdef0123456789ABCDEF')).toBe('0123456789abcdef0123456789ABCDEF');
    expect(parseSettingValue(def('r2_account_id'), 'a-b_c'.padEnd(64, 'x'))).toHaveLength(64);
    expect(parseSettingValue(def('r2_account_id'), '')).toBe('');
    expect(refusal('r2_account_id', '<img src=x onerror=alert(1)>')).toMatch(/letters, digits, '-' or '_'/);
    expect(refusal('r2_account_id', 'a'.repeat(65))).toMatch(/up to 64/);
    expect(refusal('r2_account_id', 'acct.evil.example')).toMatch(/Cloudflare account ID/);
  });

  it('takes an endpoint origin only: a path is refused with a hint about r2_bucket_name', () => {
    expect(parseSettingValue(def('r2_endpoint'), 'http://127.0.0.1:9000/')).toBe('http://127.0.0.1:9000');
    expect(parseSettingValue(def('r2_endpoint'), 'https://S3.Example.com')).toBe('https://s3.example.com');
    const message = refusal('r2_endpoint', 'https://s3.example.com/my-bucket');
    expect(message).toMatch(/origin only, scheme:\/\/host\[:port\]/);
    expect(message).toMatch(/drop the path "\/my-bucket"/);
    expect(message).toMatch(/r2_bucket_name/);
    expect(refusal('r2_endpoint', 'https://s3.example.com/a/b/')).toMatch(/drop the path/);
  });

  it('never quotes a secret in its refusal', () => {
    expect(refusal('r2_secret_access_key', 'very-secret\nvalue')).not.toContain('very-secret');
    expect(refusal('r2_secret_access_key', 12345)).not.toContain('12345');
  });

  it('quotes a bad value escaped and cut short, so the message stays one short line', () => {
    const message = refusal('r2_backup_schedule', `hourly${'x'.repeat(500)}`);
    expect(message.length).toBeLessThan(200);
    expect(message).toMatch(/daily, weekly, monthly/);
  });
});
