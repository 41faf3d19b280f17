import { EXIT } from './cli-exit.js';
import { parseCommandLine } from './cli-arguments.js';

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect((error as { exitCode: number }).exitCode).toBe(EXIT.usage);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('parseCommandLine', () => {
  it('reads each kind of location', () => {
    expect(parseCommandLine(['list', '--dir', '/mnt/usb'])).toMatchObject({ command: 'list', location: { kind: 'dir', dir: '/mnt/usb' }, json: false });
    expect(parseCommandLine(['verify', 'latest', '--data-dir', '/d', '--target', 'r2', '--json'])).toMatchObject({
      backup: 'latest',
      location: { kind: 'target', dataDir: '/d', target: 'r2' },
      json: true,
    });
    expect(parseCommandLine(['list', '--account-id', 'abc123', '--bucket', 'b', '--prefix', 'sentinel'])).toMatchObject({
      location: { kind: 'bucket', accountId: 'abc123', bucket: 'b', prefix: 'sentinel/' },
    });
    expect(parseCommandLine(['restore', './a.tar.gz', '--data-dir', 'data', '--dry-run'])).toMatchObject({
      location: { kind: 'file', file: './a.tar.gz' },
      dataDir: 'data',
      dryRun: true,
    });
    expect(parseCommandLine(['status', '--data-dir', 'data'])).toMatchObject({ location: { kind: 'none' } });
  });

  it('backup: --data-dir, and --target as often as there are targets (none: the enabled ones)', () => {
    expect(parseCommandLine(['backup', '--data-dir', 'd', '--target', 'local', '--target', 'r2'])).toMatchObject({
      command: 'backup',
      dataDir: 'd',
      targets: ['local', 'r2'],
      location: { kind: 'none' },
    });
    expect(parseCommandLine(['backup', '--data-dir', 'd', '--json'])).toMatchObject({ targets: [], json: true });
    expect(usageError(['backup', '--target', 'local'])).toMatch(/backup needs --data-dir/);
    expect(usageError(['backup', '--data-dir', 'd', '--dir', 'x'])).toMatch(/backup does not take --dir/);
    expect(usageError(['backup', 'latest', '--data-dir', 'd'])).toMatch(/Unexpected argument 'latest'/);
    expect(usageError(['list', '--data-dir', 'd', '--target', 'a', '--target', 'b'])).toMatch(/list takes one --target/);
  });

  it('answers --help without a location, per command', () => {
    expect(parseCommandLine(['--help'])).toEqual({ help: expect.stringContaining('Commands:') });
    expect(parseCommandLine(['restore', '-h'])).toEqual({ help: expect.stringContaining('Usage: sentinel-backup restore') });
    expect(parseCommandLine(['backup', '--help'])).toEqual({
      help: expect.stringMatching(/Usage: sentinel-backup backup[\s\S]*Example:\n\s+sentinel-backup backup /),
    });
  });

  it('refuses what it cannot do exactly as asked, naming the fix', () => {
    expect(usageError(['list', '--secret-access-key=abc'])).toMatch(/only from the environment/);
    expect(usageError(['list', '--access-key', 'abc'])).toMatch(/only from the environment/);
    expect(usageError(['list', '--target', 'r2'])).toMatch(/--target needs --data-dir/);
    expect(usageError(['list', '--bucket', 'b'])).toMatch(/--endpoint URL .* or --account-id/);
    expect(usageError(['list', '--endpoint', 'ftp://x', '--bucket', 'b'])).toMatch(/http\(s\) URL/);
    expect(usageError(['list', '--endpoint', 'http://x', '--account-id', 'a', '--bucket', 'b'])).toMatch(/not both/);
    expect(usageError(['list', '--dir', 'x', '--dry-run'])).toMatch(/list does not take --dry-run/);
    expect(usageError(['status', '--data-dir', 'd', '--dir', 'x'])).toMatch(/status does not take --dir/);
    expect(usageError(['verify', './a.tar.gz', '--dir', 'x'])).toMatch(/is an archive file: leave out --dir/);
    expect(usageError(['verify', 'a', 'b', '--dir', 'x'])).toMatch(/Unexpected argument 'b'/);
    expect(usageError(['list', '--dir', ''])).toMatch(/--dir needs a value/);
  });

  it('reads the recovery key files, --confirm-unknown and the key commands', () => {
    expect(parseCommandLine(['restore', 'latest', '--dir', 'b', '--data-dir', 'd', '--identity', 'k1', '--identity', 'k2', '--confirm-unknown'])).toMatchObject(
      {
        identityFiles: ['k1', 'k2'],
        confirmUnknown: true,
      },
    );
    expect(parseCommandLine(['key', 'show', '--data-dir', 'd', '--target', 'r2'])).toMatchObject({
      command: 'key',
      keyAction: 'show',
      location: { kind: 'target', dataDir: 'd', target: 'r2' },
    });
    expect(parseCommandLine(['key', 'export', '--data-dir', 'd', '--target', 'r2', '--output', 'f', '--recipient', 'age1x'])).toMatchObject({
      keyAction: 'export',
      output: 'f',
      recipient: 'age1x',
    });
  });

  it('refuses a recovery key as an argument without repeating it, and key commands written wrong', () => {
    const key = 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ';
    for (const argv of [
      ['verify', 'a.tar.gz.age', '--dir', 'b', '--identity', key],
      ['verify', 'a.tar.gz.age', '--dir', 'b', `--identity=${key}`],
      ['verify', key.toLowerCase(), '--dir', 'b'],
    ]) {
      const message = usageError(argv);
      expect(message).toMatch(/never given as an argument.*--identity FILE/);
      expect(message.toUpperCase()).not.toContain(key);
    }
    expect(usageError(['key', '--data-dir', 'd', '--target', 'r2'])).toMatch(/show or export/);
    expect(usageError(['key', 'delete', '--data-dir', 'd', '--target', 'r2'])).toMatch(/Unknown key action 'delete'/);
    expect(usageError(['key', 'show', '--data-dir', 'd'])).toMatch(/needs --data-dir DIR and --target ID/);
    expect(usageError(['key', 'export', '--data-dir', 'd', '--target', 'r2'])).toMatch(/needs --output FILE/);
    expect(usageError(['list', '--dir', 'b', '--identity', 'k'])).toMatch(/list does not take --identity/);
    expect(usageError(['verify', 'latest', '--dir', 'b', '--confirm-unknown'])).toMatch(/verify does not take --confirm-unknown/);
  });
});
