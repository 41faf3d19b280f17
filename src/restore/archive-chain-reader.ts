import { Inject, Injectable } from '@nestjs/common';
import { parseBackupName } from '../archive-format/backup-filename.js';
import type { BackupTarget } from '../common/backup-target.js';
import { readArchiveMetadata } from './archive-reader/archive-read-pipeline.js';
import { ARCHIVE_READ_STEPS, type ArchiveReadStep } from './archive-reader/archive-read-step.js';
import { BackupArchiveOpener } from './archive-reader/backup-archive-opener.js';
import { describeRecipients } from './archive-reader/describe-recipients.js';
import { DataFolderLayout } from './core/data-folder-layout.js';
import { StoredArchiveAccess } from './stored-archive-access.js';

/**
 * Reads an adopted increment's chain (its metadata's `base` and `parent`) for the backup catalog, which records it
 * (BackupCatalogService.adopt): the restore's own pipeline and checks, only the archive's first bytes downloaded,
 * an encrypted one with the server's keys. The composition root hands it to the catalog (AdoptedChainWiring): the
 * backup module does not read archives, and backup and restore do not import each other.
 */
@Injectable()
export class ArchiveChainReader {
  constructor(
    private readonly opener: BackupArchiveOpener,
    private readonly access: StoredArchiveAccess,
    private readonly layout: DataFolderLayout,
    @Inject(ARCHIVE_READ_STEPS) private readonly steps: readonly ArchiveReadStep[],
  ) {}

  /** The increment's base and parent, or why they cannot be read. */
  async chainOf(target: BackupTarget, filename: string): Promise<{ base: string; parent: string } | string> {
    const access = await this.access.forVerification(target, filename, { identities: [] });
    if (access.encrypted && !access.keys) return `it is encrypted ${describeRecipients(access.recipients)} and the server holds no key for it`;
    const opened = await this.opener.open(target, filename);
    const metadata = (await readArchiveMetadata(opened.body, { archive: filename, managed: this.layout.names, keys: access.keys }, this.steps)) as {
      kind?: unknown;
      base?: unknown;
      parent?: unknown;
    };
    const { base, parent } = metadata;
    if (metadata.kind !== 'incremental' || typeof base !== 'string' || typeof parent !== 'string') return 'its metadata names no chain';
    if (parseBackupName(base)?.kind !== 'full' || (parent !== base && parseBackupName(parent)?.kind !== 'incremental')) {
      return `its metadata names no backup as its base (${base}) or parent (${parent})`;
    }
    return { base, parent };
  }
}
