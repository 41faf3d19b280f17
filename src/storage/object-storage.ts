import type { Readable } from 'node:stream';
import type { BackupTarget } from '../common/backup-target.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';

/** An object as the store lists it. */
export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
  /** S3: the listing's ETag, which with the key and time identifies one immutable version (owner cache). */
  etag?: string;
  /**
   * The installation that made the object (see ObjectStorage.owners), when the adapter read it: `head`
   * always does; `list` leaves it undefined. null: no owner recorded (archives of earlier versions).
   */
  owner?: string | null;
  /**
   * The age recipients recorded with an encrypted archive (S3 metadata, a sidecar in a folder), when the
   * adapter read them: `head` does; `list` leaves it undefined. null: none recorded.
   */
  recipients?: string[] | null;
  /**
   * The lock that keeps the object from being deleted before a date (S3 Object Lock), when the adapter read
   * it: `head` does; `list` leaves it undefined. null: no lock the store reports.
   */
  lock?: ObjectLock | null;
}

/** An S3 Object Lock retention: the store refuses to delete the object before `retainUntil` (by the store's clock). */
export interface ObjectLock {
  mode: 'governance' | 'compliance';
  retainUntil: Date;
}

export interface TransferOptions {
  /** Cancels the operation; an aborted upload leaves no object and no multipart upload behind. */
  signal?: AbortSignal;
  /** Called with the total bytes transferred so far. */
  onProgress?: (bytes: number) => void;
  /**
   * Upload only: how large the object can get, when the caller knows an upper bound. Multipart parts
   * are then just large enough to stay within the store's 10,000 parts; without it, parts keep the
   * configured size.
   */
  maxBytes?: number;
  /** Upload only: the installation id recorded as the object's owner (S3 metadata; a sidecar in a folder). */
  owner?: string;
  /**
   * Upload only: the age recipients an encrypted archive was encrypted to, recorded with it like the owner
   * (S3 metadata; a sidecar in a folder), so whoever finds it can tell which key it needs.
   */
  recipients?: readonly string[];
}

/** What a download takes: TransferOptions' cancel and progress, and where to start. */
export interface DownloadOptions extends Pick<TransferOptions, 'signal' | 'onProgress'> {
  /**
   * The first byte to read (0 by default): a ranged read, as a resumed download continues from the bytes it
   * already has. The body then holds the bytes from there to the end, `size` their count, and progress counts
   * them alone. At the object's end the body is empty; beyond it, or not a whole number: InvalidInput.
   */
  offset?: number;
}

export interface DownloadResult {
  body: Readable;
  /** The bytes the body holds: the object's size, less the offset of a ranged read. */
  size: number;
}

export interface DeleteManyResult {
  deleted: string[];
  failed: Array<{ key: string; message: string }>;
  /**
   * Refused by the store because of a lock (S3 Object Lock, an R2 bucket lock rule): kept, not failed.
   * `retainUntil` when the store says until when (Object Lock), null when it does not (R2's rules).
   */
  locked: Array<{ key: string; retainUntil: Date | null; message: string }>;
}

/** One check of a connection test, in words a user can act on. */
export interface ConnectionCheck {
  name: string;
  ok: boolean;
  message: string;
}

export interface ConnectionTestResult {
  target: BackupTarget;
  ok: boolean;
  /** Where it connected (endpoint and bucket, or folder), never credentials. */
  location: string;
  checks: ConnectionCheck[];
  durationMs: number;
}

/**
 * The port every module uses for object storage, whatever is behind it. Keys are flat names
 * (the backup archives' file names). Failures are DomainErrors with storage codes.
 */
/**
 * What identifies one stored version of an object, the same from an upload's result and from a listing:
 * S3's ETag (a new upload under the same key gets another), else a file's size and modification time in ms.
 */
export function objectVersion(object: StoredObject): string {
  return object.etag !== undefined ? `etag ${object.etag}` : `size ${object.size} mtime ${object.lastModified.getTime()}`;
}

/** A download's offset checked against the object's size (InvalidInput when it is not a byte of the object or its end). */
export function assertDownloadOffset(key: string, offset: number, size: number): void {
  if (Number.isSafeInteger(offset) && offset >= 0 && offset <= size) return;
  throw new DomainError(ErrorCode.InvalidInput, `Cannot read '${key}' from byte ${offset}: it has ${size} bytes`, { key, offset, size });
}

export abstract class ObjectStorage {
  abstract readonly target: BackupTarget;

  /** Streams `body` (length unknown) into `key`. Nothing is visible under `key` until it is complete. */
  abstract upload(key: string, body: Readable, options?: TransferOptions): Promise<StoredObject>;

  /** Streams an object, or its end from `options.offset`; throws ObjectNotFound when it does not exist. */
  abstract download(key: string, options?: DownloadOptions): Promise<DownloadResult>;

  /** Every object whose key starts with `prefix`, however many there are. */
  abstract list(prefix?: string): Promise<StoredObject[]>;

  /** The object's listing entry, or undefined when it does not exist. */
  abstract head(key: string): Promise<StoredObject | undefined>;

  /**
   * The owner recorded on each object (null for none), by key. Reading it may take a request per object
   * (S3 has no metadata in listings): adapters bound the concurrency and cache what cannot change.
   */
  abstract owners(objects: StoredObject[]): Promise<Map<string, string | null>>;

  /**
   * The age recipients recorded with each object (null for none), by key; read like the owners and, where
   * that takes a request, in the same one and cached with them.
   */
  abstract recipients(objects: StoredObject[]): Promise<Map<string, string[] | null>>;

  /**
   * The lock on each object (null for none), by key; read like the owners and, where that takes a request, in
   * the same one and cached with them. A lock changed since it was cached is found by the store's refusal.
   */
  abstract locks(objects: StoredObject[]): Promise<Map<string, ObjectLock | null>>;

  /** Records `owner` as the object's owner, keeping its content and other metadata; ObjectNotFound when missing. */
  abstract setOwner(key: string, owner: string): Promise<void>;

  /**
   * Deletes one object (and its owner and recipients markers); deleting a missing object is not an error.
   * An object the store keeps because of a lock: ObjectLocked, with the date when the store gives one.
   */
  abstract delete(key: string): Promise<void>;

  /** Deletes many objects, reporting per key what failed. */
  abstract deleteMany(keys: string[]): Promise<DeleteManyResult>;

  /**
   * What must be set before the target can be used, as one sentence naming the settings; undefined when
   * nothing is missing. Reads the settings only, so a caller can refuse before doing any work.
   */
  abstract missingConfiguration(): Promise<string | undefined>;

  /** Checks that the target is reachable and writable; never throws for a failed check. */
  abstract testConnection(): Promise<ConnectionTestResult>;

  /**
   * Before a backup writes anything: makes the target ready (the local folder is created), or says at
   * once, in words, why it cannot be. Nothing to do by default.
   */
  async prepare(): Promise<void> {
    // nothing to prepare
  }

  /**
   * Run once at start, before any backup: removes what an interrupted upload of this installation
   * left in the target (the local folder's `.partial` files, unfinished multipart uploads), and only
   * that. Never throws; says what it did.
   */
  abstract removeLeftovers(): Promise<LeftoverReport>;
}

/** What the start-up clean-up of a target did, in words for the interrupted job's message. */
export interface LeftoverReport {
  removed: string[];
  failed: string[];
}
