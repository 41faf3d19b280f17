import type { Duplex } from 'node:stream';

/**
 * The keys a read may use to decrypt an archive, supplied by the caller (the service: the request's
 * identity and the server's keyring; a command line: identities read from a file), so the restore core
 * needs no key store of its own. Secrets: never logged, never in an error, an event or a file.
 */
export interface ArchiveKeys {
  /** age identities (`AGE-SECRET-KEY-1...`) to try, in order. Empty: none is available. */
  identities: readonly string[];
  /** The recipients (`age1...`) the archive is known to be encrypted to, for messages; null or absent when unknown. */
  recipients?: readonly string[] | null;
}

/** What a read step is told about the read it takes part in. */
export interface ArchiveReadContext {
  /** The archive's name, for messages; its suffix says how it is stored (`.tar.gz`, `.tar.gz.age`). */
  archive: string;
  signal?: AbortSignal;
  /** The keys for an encrypted archive; absent: none (a plain archive needs none). */
  keys?: ArchiveKeys;
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
 * The read steps of this application, in order, provided by RestoreCoreModule (age decryption, which
 * also refuses a plain archive where an encrypted one is named and the reverse). A feature that changes
 * how archives are stored adds its step there.
 */
export const ARCHIVE_READ_STEPS = Symbol('ARCHIVE_READ_STEPS');
