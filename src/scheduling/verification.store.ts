import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { BACKUP_TARGETS, type BackupTarget } from '../common/backup-target.js';
import { removeStaleAtomicTemps, writeFileAtomic } from '../common/fs/durable-fs.js';
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

  /** The file's content, read once: this store is its only writer (one service per DATA_DIR). */
  private stored: Partial<Record<BackupTarget, VerificationReport>> | undefined;
  /** Writes one after another: each writes the whole file through the same temporary name. */
  private writing: Promise<void> = Promise.resolve();

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
    const stored = (this.stored ??= this.read());
    return BACKUP_TARGETS.map((target) => stored[target]).filter((report): report is VerificationReport => report !== undefined);
  }

  /**
   * Replaces the target's result: at once for readers, then on disk with the durable atomic write
   * (fsynced before and after the rename), so neither a crash nor a power cut leaves half a file or
   * loses a result already reported. Resolves once the file holds it.
   */
  async save(report: VerificationReport): Promise<void> {
    this.stored = { ...(this.stored ??= this.read()), [report.target]: report };
    const content = `${JSON.stringify(this.stored, null, 2)}\n`;
    const write = this.writing.then(async () => {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, content);
    });
    this.writing = write.catch(() => undefined);
    await write;
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
