import { Injectable } from '@nestjs/common';
import type { BackupTarget } from '../common/backup-target.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { TargetsChangedEvent } from '../targets/targets-changed.event.js';
import { ArchiveProvenance } from './archive-provenance.store.js';

/**
 * The records of what a target's archives are (made here, their hashes) end with the target: removed, they
 * are forgotten, so a target created later with the same id (another bucket, another folder) does not inherit
 * them. Forgotten again when a target is added, for a removal whose forgetting a crash cut off. The records'
 * read queue orders this before any later read (the forgetting is queued as the event is emitted).
 * The archives themselves stay where they are; a target added again at the same place has each copy
 * compared byte for byte by the next replication, and recorded again.
 */
@Injectable()
export class RemovedTargetProvenance {
  constructor(private readonly provenance: ArchiveProvenance) {}

  @OnDomainEvent(TargetsChangedEvent)
  targetsChanged(event: TargetsChangedEvent): Promise<void> {
    if (event.change === 'changed') return Promise.resolve();
    return this.provenance.forgetTarget(event.id as BackupTarget);
  }
}
