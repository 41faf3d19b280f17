import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { parseEnvironment } from '../config/environment.js';
import { DomainError } from '../common/errors/domain-error.js';
import { DatabaseRegistry } from './database-registry.js';
import { DATABASES_PRESENT_FILE } from './database-presence-record.js';

const NAMES = ['universe', 'config', 'ledger'];

/** A registry as a start of the service makes it, on a real DATA_DIR with real SQLite files. */
function registryOn(dataDir: string, names = NAMES): DatabaseRegistry {
  const config: AppConfig = {
    env: parseEnvironment({ DATA_DIR: dataDir, SENTINEL_DATABASES: names.join(','), SENTINEL_MASTER_KEY: 'test-master-passphrase-0123456789' }),
  };
  return new DatabaseRegistry(config);
}

/** Opens, reports what the open saw, closes: one start of the service. */
async function start(dataDir: string, names = NAMES): Promise<{ missing: string[]; damaged: string[]; error?: DomainError }> {
  const registry = registryOn(dataDir, names);
  await registry.open();
  const problems = registry.damagedDatabases();
  let error: DomainError | undefined;
  try {
    registry.assertIntact();
  } catch (e) {
    error = e as DomainError;
  }
  await registry.close();
  return {
    missing: problems.filter((p) => p.missing).map((p) => p.database.name),
    damaged: problems.filter((p) => !p.missing).map((p) => p.database.name),
    error,
  };
}

describe('DatabaseRegistry: files that exist, are missing, or were never there', () => {
  let dataDir: string;
  let logged: string[];
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-spec-'));
    logged = [];
    for (const level of ['log', 'warn', 'error'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((message: unknown) => void logged.push(`${level}: ${String(message)}`));
    }
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const file = (name: string) => path.join(dataDir, `${name}.db`);

  it('creates every database at the first open and records them; one deleted before the next open is reported missing and not created', async () => {
    expect(await start(dataDir)).toEqual({ missing: [], damaged: [], error: undefined });
    expect(logged).toContain('log: Created universe.db, config.db, ledger.db (empty): no earlier open of this DATA_DIR is recorded');
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, DATABASES_PRESENT_FILE), 'utf8'))).toEqual({ databases: NAMES });

    fs.rmSync(file('ledger'));
    for (const suffix of ['-wal', '-shm']) fs.rmSync(`${file('ledger')}${suffix}`, { force: true });
    logged = [];
    const second = await start(dataDir);
    expect(second).toMatchObject({ missing: ['ledger'], damaged: [] });
    expect(second.error?.code).toBe('DATABASE_DAMAGED');
    expect(second.error?.details).toEqual({ database: 'ledger', file: 'ledger.db', reason: 'not found in DATA_DIR', missing: true });
    expect(second.error?.message).toContain(`The database file ${file('ledger')} is missing (not found in DATA_DIR)`);
    expect(second.error?.message).toContain(`(touch ${file('ledger')})`);
    expect(fs.existsSync(file('ledger'))).toBe(false);
    expect(logged.filter((line) => line.startsWith('log: Created'))).toEqual([]);
    expect(logged).toContain(`log: Opened 2 of 3 databases in ${dataDir}; missing: ledger.db`);
    // The record still names it: it stays expected until it is back.
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, DATABASES_PRESENT_FILE), 'utf8'))).toEqual({ databases: NAMES });
    expect(await start(dataDir)).toMatchObject({ missing: ['ledger'] });

    // An empty file in its place (the way out for a deliberate removal) opens as a new, empty database.
    fs.writeFileSync(file('ledger'), '');
    expect(await start(dataDir)).toEqual({ missing: [], damaged: [], error: undefined });
    expect(fs.statSync(file('ledger')).size).toBeGreaterThan(0);
  });

  it('a missing database beside a damaged one: each is named for what it is', async () => {
    await start(dataDir);
    fs.rmSync(file('universe'));
    fs.writeFileSync(file('config'), Buffer.alloc(8192, 'garbage!'));
    fs.rmSync(`${file('config')}-wal`, { force: true });
    logged = [];
    expect(await start(dataDir)).toMatchObject({ missing: ['universe'], damaged: ['config'] });
    expect(logged).toContain(`log: Opened 1 of 3 databases in ${dataDir}; missing: universe.db; damaged: config.db`);
    expect(logged.some((line) => line.startsWith('error: The database file') && line.includes('config.db is damaged'))).toBe(true);
  });

  it('a database added to the configuration is created; a record that is not JSON counts as none and is written again', async () => {
    await start(dataDir);
    logged = [];
    expect(await start(dataDir, [...NAMES, 'extra'])).toEqual({ missing: [], damaged: [], error: undefined });
    expect(logged).toContain('log: Created extra.db (empty): new in the configuration');
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, DATABASES_PRESENT_FILE), 'utf8'))).toEqual({ databases: [...NAMES, 'extra'] });
    // Back to three: extra stays in the record (harmless, it is not managed now), nothing is missing.
    expect(await start(dataDir)).toEqual({ missing: [], damaged: [], error: undefined });

    fs.writeFileSync(path.join(dataDir, DATABASES_PRESENT_FILE), '{"databases": [');
    fs.rmSync(file('config'));
    logged = [];
    expect(await start(dataDir)).toEqual({ missing: [], damaged: [], error: undefined });
    expect(logged.some((line) => line.startsWith('warn: Ignoring') && line.includes(DATABASES_PRESENT_FILE))).toBe(true);
    expect(logged).toContain('log: Created config.db (empty): no earlier open of this DATA_DIR is recorded');
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, DATABASES_PRESENT_FILE), 'utf8'))).toEqual({ databases: NAMES });
  });

  it('a folder where the record belongs stops the open, naming it and what to do; no database is created', async () => {
    fs.mkdirSync(path.join(dataDir, DATABASES_PRESENT_FILE));
    await expect(registryOn(dataDir).open()).rejects.toThrow(
      new RegExp(
        `Cannot open the databases in ${dataDir}: .*${DATABASES_PRESENT_FILE.replace('.', '\\.')} \\(the record of which databases exist\\) cannot be read: it is a folder`,
      ),
    );
    for (const name of NAMES) expect(fs.existsSync(file(name))).toBe(false);
  });
});
