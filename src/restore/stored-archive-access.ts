import { Injectable } from '@nestjs/common';
import { backupNotFound } from '../archive-format/backup-name.js';
import type { BackupTarget } from '../common/backup-target.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { ArchiveEncryption } from '../encryption/archive-encryption.service.js';
import { ArchiveProvenance, type WrittenArchive } from '../encryption/archive-provenance.store.js';
import type { StoredObject } from '../storage/object-storage.js';
import { StorageTargets } from '../storage/storage-targets.js';
import type { StoredBytes } from './archive-reader/archive-read-pipeline.js';
import type { ArchiveKeys } from './archive-reader/archive-read-step.js';
import { BackupArchiveOpener } from './archive-reader/backup-archive-opener.js';
import { isEncryptedBackupName } from '../archive-format/backup-filename.js';
import { describeRecipients } from './archive-reader/describe-recipients.js';
import type { ArchiveToUnpack } from './core/archive-unpacker.js';
import { isIncrementName, type PointToUnpack } from './core/point-unpacker.js';

/** What a restore or verification request brings besides the archive's name. */
export interface ArchiveRequest {
  /** The request's own identities (requestIdentities), tried before the server's; used for this request only. */
  identities: readonly string[];
  /**
   * The user trusts an archive this installation did not write (or whose bytes differ from its record): an
   * encrypted one, or a plain one while encryption is on for the target.
   */
  confirmUnknown?: boolean;
}

/** How a verification can read an archive. */
export interface VerificationAccess {
  encrypted: boolean;
  /** The record of its upload, when this installation wrote it. */
  record: WrittenArchive | undefined;
  /** The keys to decrypt it; undefined when it is encrypted and no key is at hand (only a limited verification is possible). */
  keys: ArchiveKeys | undefined;
  /** The recipients it needs, when known (for messages). */
  recipients: readonly string[] | null;
  /** The stored object's size, as its store reports it before any download. */
  storedSize: number;
}

/**
 * How the service may read a stored backup, decided before any download. A plain archive (`.tar.gz`) is
 * read as the first wave read it, with two exceptions (see plainForRestore): one this installation recorded
 * writing must still be those bytes, and while encryption is on for the target one it has no record of
 * needs the request's confirmation. An encrypted one (`.tar.gz.age`) needs a key: the request's identity,
 * then every identity the server holds for the target (its keyring, ArchiveEncryption); with none, a
 * restore is refused with ENCRYPTION_KEY_REQUIRED naming the recipients it needs (from the record of its
 * upload, ArchiveProvenance, or else from the object's own metadata, which anyone who can write to the
 * storage could have changed: it only words the message). And it must have been made here: anyone who has a public recipient can make a
 * valid encrypted archive, so a restore of one this installation has no record of writing, or whose stored
 * bytes hash differently from the record, is refused (ARCHIVE_NOT_MADE_HERE) unless the request confirms it.
 * The hash is taken while the archive is read, and compared once it is read in full, before anything is staged.
 */
@Injectable()
export class StoredArchiveAccess {
  constructor(
    private readonly opener: BackupArchiveOpener,
    private readonly storage: StorageTargets,
    private readonly encryption: ArchiveEncryption,
    private readonly provenance: ArchiveProvenance,
  ) {}

  /**
   * The archive as a restore reads it: opening it makes the checks above, and gives the keys and the made-here check.
   * An increment comes with the links of its chain in the same target, each read with the same checks and keys.
   */
  forRestore(target: BackupTarget, filename: string, request: ArchiveRequest): PointToUnpack {
    const point = this.archiveForRestore(target, filename, request);
    if (!isIncrementName(filename)) return point;
    return { ...point, link: (name) => this.archiveForRestore(target, name, request) };
  }

  private archiveForRestore(target: BackupTarget, filename: string, request: ArchiveRequest): ArchiveToUnpack {
    const archive = this.opener.archive(target, filename);
    if (!isEncryptedBackupName(filename)) return this.plainForRestore(target, archive, request);
    return {
      name: filename,
      open: async (signal) => {
        const object = await this.requirePresent(target, filename);
        const record = await this.provenance.find(target, filename);
        const recipients = record?.recipients ?? object.recipients ?? null;
        const identities = await this.identities(target, request, recipients);
        if (identities.length === 0) throw keyRequired(filename, recipients);
        if (!record && !request.confirmUnknown) {
          throw new DomainError(
            ErrorCode.ArchiveNotMadeHere,
            `This installation has no record of writing ${filename}: anyone with a recipient can make a valid encrypted archive. ` +
              'If you trust it (a new machine after a disaster), send "confirm_unknown": true',
            { file: filename, reason: 'no_record' },
          );
        }
        const opened = await archive.open(signal);
        const keys: ArchiveKeys = { identities, recipients };
        if (!record || request.confirmUnknown) return { ...opened, keys };
        return {
          ...opened,
          keys,
          checkStored: (stored) => {
            if (!matchesRecord(record, stored)) throw replaced(filename, record, stored);
          },
        };
      },
    };
  }

  /**
   * A plain archive (`.tar.gz`): with a record of its upload, its stored bytes must match it, as for an
   * encrypted one. With none, it is a hand-made archive, restored without confirmation as in the first
   * wave, unless encryption is on for the target: then a plain archive is what someone who can write to
   * the storage would upload to skip the check of encrypted ones, so it needs "confirm_unknown" too.
   */
  private plainForRestore(target: BackupTarget, archive: ArchiveToUnpack, request: ArchiveRequest): ArchiveToUnpack {
    const filename = archive.name;
    return {
      name: filename,
      open: async (signal) => {
        const record = await this.provenance.find(target, filename);
        if (!record && !request.confirmUnknown && (await this.encryption.recipientsFor(target)) !== undefined) {
          await this.requirePresent(target, filename);
          throw new DomainError(
            ErrorCode.ArchiveNotMadeHere,
            `Encryption is on for this target, and the plain archive ${filename} was not written by this installation: ` +
              'anyone who can write to the storage can upload one. If you trust it (made by hand, or before encryption was turned on), send "confirm_unknown": true',
            { file: filename, reason: 'no_record' },
          );
        }
        const opened = await archive.open(signal);
        if (!record || request.confirmUnknown) return opened;
        return {
          ...opened,
          checkStored: (stored) => {
            if (!matchesRecord(record, stored)) throw replaced(filename, record, stored);
          },
        };
      },
    };
  }

  /** How a verification of `filename` can read it (no refusal for an archive not made here: a verification changes nothing). */
  async forVerification(target: BackupTarget, filename: string, request: ArchiveRequest): Promise<VerificationAccess> {
    const object = await this.requirePresent(target, filename);
    const record = await this.provenance.find(target, filename);
    if (!isEncryptedBackupName(filename)) return { encrypted: false, record, keys: undefined, recipients: null, storedSize: object.size };
    const recipients = record?.recipients ?? object.recipients ?? null;
    const identities = await this.identities(target, request, recipients);
    return { encrypted: true, record, keys: identities.length ? { identities, recipients } : undefined, recipients, storedSize: object.size };
  }

  /**
   * The request's keys first, then the server's, those of the archive's recorded recipients ahead of the rest:
   * the header's stanzas are tried against each key in turn, so the likely key first keeps that short.
   */
  private async identities(target: BackupTarget, request: ArchiveRequest, recipients: readonly string[] | null): Promise<string[]> {
    return [...new Set([...request.identities, ...(await this.encryption.identitiesFor(target, recipients ?? []))])];
  }

  /** The stored object (with the recipients recorded with it, if any); a 404 before anything else is said about a backup that is not there. */
  private async requirePresent(target: BackupTarget, filename: string): Promise<StoredObject> {
    const object = await (await this.storage.get(target)).head(filename);
    if (!object) throw backupNotFound(target, filename);
    return object;
  }
}

/** True when the stored bytes are the ones recorded at upload. */
export function matchesRecord(record: WrittenArchive, stored: Required<StoredBytes>): boolean {
  return stored.bytes === record.sizeBytes && stored.sha256 === record.sha256;
}

/** What differs between the record and the stored bytes, for a person. */
export function describeDifference(record: WrittenArchive, stored: Required<StoredBytes>): string {
  return (
    `written ${record.createdAt.toISOString()} as ${record.sizeBytes} bytes with SHA-256 ${record.sha256}; ` +
    `stored now: ${stored.bytes} bytes with SHA-256 ${stored.sha256}`
  );
}

export function keyRequired(filename: string, recipients: readonly string[] | null): DomainError {
  const which = recipients?.length ? `the recovery key of ${recipients.join(' or ')}` : 'its recovery key';
  return new DomainError(
    ErrorCode.EncryptionKeyRequired,
    `${filename} is encrypted ${describeRecipients(recipients)} and the server holds no key for it: send ${which} in the request ("identity": "AGE-SECRET-KEY-1...")`,
    { file: filename, recipients },
  );
}

function replaced(filename: string, record: WrittenArchive, stored: Required<StoredBytes>): DomainError {
  return new DomainError(
    ErrorCode.ArchiveNotMadeHere,
    `The stored archive ${filename} is not the one this installation wrote: replaced? (${describeDifference(record, stored)}). ` +
      'Nothing was staged. If you trust it, send "confirm_unknown": true',
    { file: filename, reason: 'differs_from_record' },
  );
}
