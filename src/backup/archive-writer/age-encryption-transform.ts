import type { Transform } from 'node:stream';
import { createAgeEncryptStream } from '../../encryption/age/age-encrypt-stream.js';

/** AgeEncryptionStep's plan: the public recipients only (the file key is made in the worker, per archive). */
export interface AgeEncryptionOptions {
  recipients: string[];
}

/** Builds AgeEncryptionStep's transform in the archive's worker thread (an ArchiveStepTransformModule). */
export function createStepTransform(options: unknown): Transform {
  return createAgeEncryptStream((options as AgeEncryptionOptions).recipients);
}
