import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { BACKUP_TARGETS, type BackupTarget } from '../common/backup-target.js';
import { removeStaleAtomicTemps, writeFileAtomicSync } from '../common/fs/durable-fs.js';
import { AppConfig } from '../config/app-config.js';
import type { VerificationReport } from '../restore/backup-verifier.service.js';

/**
 * The latest scheduled verification per target, in DATA_DIR. Its own small file, not a managed
 * database: a restore must not roll it back.
 */
export const VERIFICATIONS_FILE = '.backup-verifications.json';

@Injectable()
export class VerificationStore implements OnModuleInit {
  private readonly logger = new Logger('Scheduler');

  constructor(private readonly config: AppConfig) {}

  /** At start-up, before any verification writes the file: the temp files of a write a crash interrupted. */
  async onModuleInit(): Promise<void> {
    const { removed, notFiles } = await removeStaleAtomicTemps(this.file);
    for (const temp of removed) this.logger.warn(`Removed ${temp}, left by an interrupted write of the verification results`);
    for (const temp of notFiles) this.logger.warn(`Left ${temp} alone: it is named like a temporary file of the verification results but is not a file`);
  }

  private get file(): string {
    return path.join(this.config.env.dataDir, VERIFICATIONS_FILE);
  }

  /** The latest result of each target that has been verified, local first. */
  latest(): VerificationReport[] {
    const stored = this.read();
    return BACKUP_TARGETS.map((target) => stored[target]).filter((report): report is VerificationReport => report !== undefined);
  }

  /**
   * Replaces the target's result with the durable atomic write (fsynced before and after the rename),
   * so neither a crash nor a power cut leaves half a file or loses a result already reported.
   */
  save(report: VerificationReport): void {
    const stored = { ...this.read(), [report.target]: report };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomicSync(this.file, `${JSON.stringify(stored, null, 2)}\n`);
  }

  private read(): Partial<Record<BackupTarget, VerificationReport>> {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<Record<BackupTarget, VerificationReport>>;
      return typeof parsed === 'object' && parsed !== null ? parsed : {};
    } catch {
      // A damaged file loses only the previous results; the next verification writes a good one.
      this.logger.warn(`Ignoring ${this.file}: it is not valid JSON; the next verification replaces it`);
      return {};
    }
  }
}
