import { Module } from '@nestjs/common';
import { SecretCipher } from './secret-cipher.js';
import { SettingsController } from './settings.controller.js';
import { SettingsRepository } from './settings.repository.js';
import { SettingsService } from './settings.service.js';

@Module({
  controllers: [SettingsController],
  providers: [SettingsRepository, SecretCipher, SettingsService],
  // SecretCipher: the encryption module seals its keys under the same master key.
  exports: [SettingsService, SecretCipher],
})
export class SettingsModule {}
