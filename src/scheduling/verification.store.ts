import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import path from 'node:path';
import { BACKUP_TARGETS, type BackupTarget, isBackupTarget } from '../common/backup-target.js';
import { DurableJsonFile } from '../common/fs/durable-json-file.js';
import { AppConfig } from '../config/app-config.js';
import { recordedBefore } from '../targets/target-roster.js';
import type { VerificationReport } from '../restore/backup-verifier.service.js';

/**
 * The latest scheduled verification per target, in DATA_DIR. Its own small file, not a managed
 * database: a restore must not roll it back.
 */
export const VERIFICATIONS_FILE = '.backup-verifications.json';

type Reports = Partial<Record<BackupTarget, VerificationReport>>;

@Injectable()
export class VerificationStore implements OnModuleInit, OnModuleDestroy {
  /** This store is the file's only writer (one service per DATA_DIR). A damaged file loses only the previous results. */
  private readonly stored: DurableJsonFile<Reports>;

  constructor(config: AppConfig) {
    this.stored = new DurableJsonFile<Reports>(
      path.join(config.env.dataDir, VERIFICATIONS_FILE),
      'the verification results',
      new Logger('Scheduler'),
      (json) => (typeof json === 'object' && json !== null ? (json as Reports) : {}),
    );
  }

  /** At start-up, before any verification writes the file: the temp files of a write a crash interrupted. */
  onModuleInit(): Promise<void> {
    return this.stored.removeLeftovers();
  }

  /** A write still under way ends before the app closes (see DurableJsonFile.flush). */
  onModuleDestroy(): Promise<void> {
    return this.stored.flush();
  }

  /** The latest result of each target that has been verified: local, r2, then the added targets in the order they were first verified. */
  /** `since`: the added targets' creation; a result of their id from before is a deleted target's, left out. */
  latest(since: ReadonlyMap<string, string> = new Map()): VerificationReport[] {
    const stored = this.stored.get();
    const added = Object.keys(stored).filter((target) => isBackupTarget(target) && !(BACKUP_TARGETS as readonly string[]).includes(target));
    return [...BACKUP_TARGETS, ...added]
      .map((target) => stored[target])
      .filter((report): report is VerificationReport => report !== undefined && !recordedBefore(report.checkedAt, since.get(report.target)));
  }

  /**
   * Replaces the target's result: at once for readers, then on disk with the durable atomic write
   * (fsynced before and after the rename), so neither a crash nor a power cut leaves half a file or
   * loses a result already reported. Resolves once the file holds it.
   */
  save(report: VerificationReport): Promise<void> {
    return this.stored.set({ ...this.stored.get(), [report.target]: report });
  }
}
