import { Injectable, type OnModuleInit } from '@nestjs/common';
import { BackupCatalogService } from './backup/backup-catalog.service.js';
import { ArchiveChainReader } from './restore/archive-chain-reader.js';

/**
 * Hands the restore's reader of an increment's metadata to the backup catalog, which records an adopted increment's
 * chain from it (BackupCatalogService.adopt). Here, in the composition root, because backup and restore do not
 * import each other (docs/module-boundaries.md).
 */
@Injectable()
export class AdoptedChainWiring implements OnModuleInit {
  constructor(
    private readonly catalog: BackupCatalogService,
    private readonly reader: ArchiveChainReader,
  ) {}

  onModuleInit(): void {
    this.catalog.readChainsWith((target, filename) => this.reader.chainOf(target, filename));
  }
}
