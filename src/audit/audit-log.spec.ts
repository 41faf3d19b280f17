import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/app-config.js';
import { AuditLog } from './audit-log.js';
import type { NewAuditEntry } from './audit-entry.js';

const entry = (action: string, outcome: NewAuditEntry['outcome']): NewAuditEntry => ({
  action,
  target: 'local',
  subject: null,
  outcome,
  status_code: outcome === 'refused' ? 403 : 202,
  error: null,
  client: '127.0.0.1',
  user_agent: null,
  method: 'POST',
  path: '/api/backups/local',
});

describe('AuditLog pruning', () => {
  let dir: string;
  let log: AuditLog;
  afterEach(() => {
    log.onModuleDestroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the newest entries of each kind, so a flood of refused requests cannot push out who restored', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-log-'));
    log = new AuditLog({ env: { dataDir: dir } } as unknown as AppConfig, new Clock());
    Object.assign(log.limits, { entries: 5, refused: 3, pruneEvery: 1 });
    log.record(entry('restore.stage', 'ok'));
    for (let i = 0; i < 50; i++) log.record(entry(`POST /api/backups/local/restore #${i}`, 'refused'));
    const all = log.list({ limit: 100 });
    expect(all.filter((e) => e.outcome === 'refused').map((e) => e.action)).toEqual(['#49', '#48', '#47'].map((n) => `POST /api/backups/local/restore ${n}`));
    expect(all.filter((e) => e.outcome !== 'refused').map((e) => e.action)).toEqual(['restore.stage']);
    for (let i = 0; i < 7; i++) log.record(entry(`backup.start #${i}`, 'ok'));
    expect(log.list({ limit: 100 }).filter((e) => e.outcome === 'ok')).toHaveLength(5);
  });
});
