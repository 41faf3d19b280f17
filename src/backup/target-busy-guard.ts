import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { TargetDirectory } from '../targets/target-directory.js';
import { BackupJobs } from './backup-jobs.js';
import { RotationService } from './rotation.service.js';

/**
 * Refuses (409 TARGET_BUSY) a change of a target's place, or its removal, while a backup or a rotation uses
 * it. Cutting a running job off would leave half an archive, or unfinished multipart parts, in the old place
 * with no target left to list or clean them, and a rotation could go on deleting in a place the user just
 * moved away from. Waiting instead would hold the request for as long as the backup takes (hours for a large
 * one); the answer names the job, so the user or a script waits for it and sends the change again. A change
 * that keeps the place (label, schedule, retention, enabled, credentials) goes through at once.
 */
@Injectable()
export class TargetBusyGuard implements OnModuleInit {
  constructor(
    private readonly targets: TargetDirectory,
    private readonly jobs: BackupJobs,
    private readonly rotation: RotationService,
  ) {}

  onModuleInit(): void {
    this.targets.guardPlaceWith((target) => this.assertIdle(target));
  }

  private assertIdle(target: TargetDefinition): void {
    const job = this.jobs.runningJob(target.id);
    if (job) {
      throw new DomainError(
        ErrorCode.TargetBusy,
        `Target '${target.id}' is backing up now (job ${job.id}, ${job.phase}): its place cannot change and it cannot be deleted until that job ends. ` +
          `Wait for job ${job.id} to finish (GET /api/backup-jobs/${job.id}), then send the change again`,
        { target: target.id, job_id: job.id },
      );
    }
    if (this.rotation.isRotating(target.id)) {
      throw new DomainError(
        ErrorCode.TargetBusy,
        `Target '${target.id}' is rotating its backups now: its place cannot change and it cannot be deleted until the rotation ends. Wait a moment, then send the change again`,
        { target: target.id },
      );
    }
  }
}
