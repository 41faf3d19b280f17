import { Module } from '@nestjs/common';
import { ArchiveEncryption } from './archive-encryption.service.js';
import { ArchiveProvenance } from './archive-provenance.store.js';

/**
 * Client-side encryption of archives with age (issue 14): per-target keys and recipients, the keyring,
 * and the record of which archives this installation wrote. Backup and restore use ArchiveEncryption and
 * ArchiveProvenance; the age format itself is in `age/`.
 */
@Module({
  providers: [ArchiveEncryption, ArchiveProvenance],
  exports: [ArchiveEncryption, ArchiveProvenance],
})
export class EncryptionModule {}
