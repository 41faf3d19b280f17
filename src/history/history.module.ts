import { Module } from '@nestjs/common';
import { BackupModule } from '../backup/backup.module.js';
import { RunEventRecorder } from './run-event.recorder.js';
import { RunEventStore } from './run-event.store.js';
import { RunHistoryService } from './run-history.service.js';
import { RunsController } from './runs.controller.js';

/**
 * The run history (GET /api/runs): every backup, verification, rotation, replication and restore with its result.
 * It listens to the other modules' events and reads the backup jobs; nothing imports it but the root.
 */
@Module({
  imports: [BackupModule],
  controllers: [RunsController],
  providers: [RunEventStore, RunEventRecorder, RunHistoryService],
})
export class HistoryModule {}
