import { Injectable } from '@nestjs/common';
import { ageEncryptedSizeBound } from '../../encryption/age/age-encrypt-stream.js';
import { ageRecipientKey } from '../../encryption/age/age-keys.js';
import type { ArchiveWriteContext, ArchiveWriteStep, ArchiveWriteStepPlan } from './archive-write-step.js';
import type { AgeEncryptionOptions } from './age-encryption-transform.js';

/**
 * Encrypts the compressed archive with age to the backup's recipients (compressed first: encrypted bytes
 * do not compress). Streamed: the age stream holds one 64 KiB chunk at a time, so the archive is never
 * whole in memory or on disk in the clear. An archive without recipients is not this step's: it declines.
 */
@Injectable()
export class AgeEncryptionStep implements ArchiveWriteStep {
  readonly name = 'age-encryption';

  plan(context: ArchiveWriteContext): ArchiveWriteStepPlan | undefined {
    if (!context.recipients?.length) return undefined;
    // Checked here, before the archive starts: a recipient that is not one refuses the backup at once.
    for (const recipient of context.recipients) ageRecipientKey(recipient);
    const options: AgeEncryptionOptions = { recipients: [...context.recipients] };
    return { module: new URL('./age-encryption-transform.js', import.meta.url).href, options };
  }

  maxOutputBytes(maxInput: number, context: ArchiveWriteContext): number {
    if (!context.recipients?.length) return maxInput;
    return ageEncryptedSizeBound(maxInput, context.recipients.length);
  }
}
