import { Injectable } from '@nestjs/common';
import { BackupCompletedEvent } from '../backup/backup.events.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { ReplicationJobs } from './replication-jobs.js';

/** After each successful backup, the replicas of its target copy what they are missing (this archive, and any they missed). */
@Injectable()
export class ReplicationTrigger {
  constructor(private readonly jobs: ReplicationJobs) {}

  @OnDomainEvent(BackupCompletedEvent)
  backupCompleted(event: BackupCompletedEvent): Promise<void> {
    return this.jobs.afterBackup(event.target);
  }
}
