import type { Duplex } from 'node:stream';

/** What a read step is told about the read it takes part in. */
export interface ArchiveReadContext {
  /** The archive's name, for messages. */
  archive: string;
  signal?: AbortSignal;
}

/**
 * A step of the reader pipeline between the stored bytes and gunzip: the seam where a later step
 * such as decryption goes, without touching the extractor's rules. Steps run in the order given,
 * each on the previous one's output; the first sees the archive's bytes exactly as stored, and the
 * last must give gzip. A step that finds its input unusable fails its stream with a DomainError
 * that says so (an ArchiveInvalid naming the archive, for example); that error is what the caller gets.
 */
export interface ArchiveReadStep {
  /** What the step does, for a person: "age decryption". */
  readonly name: string;
  /** A fresh transform for one read. */
  create(context: ArchiveReadContext): Duplex;
}

/**
 * The read steps of this application, in order: none by default. A feature that changes how
 * archives are stored provides this token with its step (see RestoreCoreModule).
 */
export const ARCHIVE_READ_STEPS = Symbol('ARCHIVE_READ_STEPS');
