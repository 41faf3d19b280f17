import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RESTART_EXIT_CODE } from '../src/config/environment.js';
import { npmStartSettings } from './support/npm-start-script.js';

/**
 * The systemd unit users install (deploy/*.service): `systemd-analyze verify` accepts it without a warning,
 * and it runs the service the way `npm start` does, with the restart on exit code 75 that applies a staged restore.
 */
const DEPLOY = new URL('../deploy/', import.meta.url);
const UNIT = 'sentinel-backup.service';
/** Where the checked-in unit expects node (Debian's nodejs package, NodeSource); users with another one change ExecStart. */
const INSTALLED_NODE = '/usr/bin/node';

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'systemd-unit-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function verify(unitPath: string): { code: number | null; output: string } {
  const result = spawnSync('systemd-analyze', ['verify', '--man=no', unitPath], { encoding: 'utf8' });
  if (result.error) throw new Error(`systemd-analyze could not run (${result.error.message}): install Debian's systemd package (apt-get install systemd)`);
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * A copy of `unit` whose node is the one running this test. systemd-analyze verify refuses an ExecStart whose
 * program does not exist, and a CI machine's node need not be at /usr/bin/node (nvm, the npm `node` package of
 * the Node 24 run); every other line is verified as checked in. The unit's file name is kept, as verify reads it.
 * User= needs no stand-in: verify does not look the user up, so a machine without `sentinel-backup` verifies the same.
 */
function withThisNode(unit: string, text: string): string {
  expect(text).toContain(`ExecStart=${INSTALLED_NODE} `);
  const copy = path.join(dir, unit);
  fs.writeFileSync(copy, text.replaceAll(`ExecStart=${INSTALLED_NODE} `, `ExecStart=${process.execPath} `));
  return copy;
}

/** Every value of `key` in the unit, in order (systemd allows a key several times; an empty value resets a list). */
function values(text: string, key: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

function unitText(): string {
  return fs.readFileSync(new URL(UNIT, DEPLOY), 'utf8');
}

it('every unit in deploy/ passes systemd-analyze verify with no warning', () => {
  const units = fs.readdirSync(DEPLOY).filter((name) => name.endsWith('.service'));
  expect(units).toContain(UNIT);
  for (const unit of units) {
    const result = verify(withThisNode(unit, fs.readFileSync(new URL(unit, DEPLOY), 'utf8')));
    expect({ unit, ...result }).toEqual({ unit, code: 0, output: '' });
  }
});

it('a mistake in the unit is caught: verify warns (an unknown key, a bad value) or fails (a missing program)', () => {
  // verify exits 0 on an unknown key, which is why the test above also requires empty output.
  const typo = verify(withThisNode(UNIT, unitText().replace('RestartSec=2s', 'RestartSec=2s\nRestartForceExitStatuses=75')));
  expect(typo.output).toContain("Unknown key 'RestartForceExitStatuses'");
  const badValue = verify(withThisNode(UNIT, unitText().replace('RestartSec=2s', 'RestartSec=two seconds')));
  expect(badValue.output).toMatch(/Failed to parse sec value/);
  const gone = path.join(dir, 'no-node');
  fs.writeFileSync(path.join(dir, UNIT), unitText().replace(`ExecStart=${INSTALLED_NODE} `, `ExecStart=${gone} `));
  const noProgram = verify(path.join(dir, UNIT));
  expect(noProgram.code).not.toBe(0);
  expect(noProgram.output).toContain(`${gone} is not executable`);
});

it('runs the built service with the runtime settings of npm start, without rebuilding', () => {
  // npm start: `npm run build && VAR=value ... node <node options> dist/main.js`; the unit runs what follows the build.
  const { assignments, nodeOptions } = npmStartSettings();
  expect(assignments.length).toBeGreaterThan(0);
  const text = unitText();
  expect(values(text, 'ExecStart')).toEqual([[INSTALLED_NODE, ...nodeOptions, 'dist/main.js'].join(' ')]);
  const environment = values(text, 'Environment').flatMap((line) => line.split(' '));
  for (const assignment of assignments) expect(environment).toContain(assignment);
  expect(values(text, 'WorkingDirectory')).toEqual(['/opt/sentinel-backup']);
});

it('exits with code 75 to apply a staged restore and is started again for it; a stop is not restarted', () => {
  const text = unitText();
  expect(values(text, 'Environment')).toContain('SENTINEL_RESTART_MODE=exit');
  expect(RESTART_EXIT_CODE).toBe(75);
  expect(values(text, 'RestartForceExitStatus')).toEqual([String(RESTART_EXIT_CODE)]);
  // on-failure: a crash or failed start is retried; exit 0 (after systemctl stop, or SIGTERM) is not.
  expect(values(text, 'Restart')).toEqual(['on-failure']);
});

it('runs as its own user with only DATA_DIR, its log folder and a private /tmp writable', () => {
  const text = unitText();
  expect(values(text, 'User')).toEqual(['sentinel-backup']);
  expect(values(text, 'DynamicUser')).toEqual([]);
  expect(values(text, 'ProtectSystem')).toEqual(['strict']);
  expect(values(text, 'ReadWritePaths')).toEqual([]);
  // StateDirectory=X is /var/lib/X, LogsDirectory=X is /var/log/X: the only folders ProtectSystem=strict leaves writable.
  expect(values(text, 'StateDirectory')).toEqual(['sentinel-backup']);
  expect(values(text, 'Environment')).toContain('DATA_DIR=/var/lib/sentinel-backup');
  expect(values(text, 'LogsDirectory')).toEqual(['sentinel-backup']);
  expect(values(text, 'Environment')).toContain('LOG_FILE=/var/log/sentinel-backup/sentinel-backup.log');
  for (const key of ['NoNewPrivileges', 'PrivateTmp', 'ProtectHome', 'PrivateDevices']) expect(values(text, key)).toEqual(['yes']);
  // V8's JIT needs memory that is written, then run; the DATA_DIR lock reads other users' /proc/<pid>/stat.
  expect(values(text, 'MemoryDenyWriteExecute')).toEqual([]);
  expect(values(text, 'ProtectProc')).toEqual([]);
});
