import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module.js';
import { TargetsModule } from '../targets/targets.module.js';
import { ArchiveEncryption } from './archive-encryption.service.js';
import { ArchiveProvenance } from './archive-provenance.store.js';
import { EncryptionKeys } from './encryption-keys.service.js';
import { EncryptionController } from './encryption.controller.js';
import { IdentityVault } from './identity-vault.js';
import { RemovedTargetProvenance } from './removed-target-provenance.js';
import { EncryptionDatabase } from './store/encryption-database.js';

/**
 * Client-side encryption of archives with age (issue 14): per-target keys and recipients, the keyring,
 * and the record of which archives this installation wrote, all in DATA_DIR/.encryption.db. Backup and
 * restore use ArchiveEncryption and ArchiveProvenance; the age format itself is in `age/`; the API is
 * /api/encryption/{target}.
 */
@Module({
  imports: [SettingsModule, TargetsModule],
  controllers: [EncryptionController],
  providers: [EncryptionDatabase, IdentityVault, EncryptionKeys, ArchiveEncryption, ArchiveProvenance, RemovedTargetProvenance],
  exports: [ArchiveEncryption, ArchiveProvenance],
})
export class EncryptionModule {}
