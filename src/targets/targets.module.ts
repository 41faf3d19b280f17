import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module.js';
import { ExistingTargetPipe } from './existing-target.pipe.js';
import { TargetDirectory } from './target-directory.js';
import { TargetRoster } from './target-roster.js';
import { TargetStore } from './target-store.js';

/** Backup targets as data (issue 16): the built-in `local` and `r2`, and the destinations added through /api/targets. */
@Module({
  imports: [SettingsModule],
  providers: [TargetStore, TargetDirectory, ExistingTargetPipe, TargetRoster],
  exports: [TargetDirectory, ExistingTargetPipe, TargetRoster],
})
export class TargetsModule {}
