import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module.js';
import { TargetDirectory } from './target-directory.js';

/** Backup targets as data (issue 16): the built-in `local` and `r2`, and the destinations added through /api/targets. */
@Module({
  imports: [SettingsModule],
  providers: [TargetDirectory],
  exports: [TargetDirectory],
})
export class TargetsModule {}
