import { Injectable } from '@nestjs/common';
import type { Transform } from 'node:stream';
import { ageEncryptedSizeBound, createAgeEncryptStream } from '../../encryption/age/age-encrypt-stream.js';
import type { ArchiveWriteContext, ArchiveWriteStep } from './archive-write-step.js';

/**
 * Encrypts the compressed archive with age to the backup's recipients (compressed first: encrypted bytes
 * do not compress). Streamed: the age stream holds one 64 KiB chunk at a time, so the archive is never
 * whole in memory or on disk in the clear. An archive without recipients is not this step's: it declines.
 */
@Injectable()
export class AgeEncryptionStep implements ArchiveWriteStep {
  readonly name = 'age-encryption';

  create(context: ArchiveWriteContext): Transform | undefined {
    if (!context.recipients?.length) return undefined;
    return createAgeEncryptStream(context.recipients);
  }

  maxOutputBytes(maxInput: number, context: ArchiveWriteContext): number {
    if (!context.recipients?.length) return maxInput;
    return ageEncryptedSizeBound(maxInput, context.recipients.length);
  }
}
