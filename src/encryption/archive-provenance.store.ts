import { Injectable } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import type { BackupKind } from '../archive-format/backup-filename.js';
import type { BackupTarget } from '../common/backup-target.js';
import { ENCRYPTION_DB_FILE, EncryptionDatabase } from './store/encryption-database.js';
import { AdoptedChainEntity } from './store/adopted-chain.entity.js';
import { WrittenArchiveEntity } from './store/written-archive.entity.js';

/** One archive this installation wrote, as recorded when its upload completed. */
export interface WrittenArchive {
  target: BackupTarget;
  /** The archive's name (`sentinel-backup-...tar.gz` or `...tar.gz.age`). */
  filename: string;
  /** SHA-256 (hex) of the object exactly as stored (after encryption, when encrypted). */
  sha256: string;
  /** Size in bytes of the object as stored. */
  sizeBytes: number;
  /** The age recipients it was encrypted to; null for a plain archive. */
  recipients: string[] | null;
  createdAt: Date;
  /** What identifies the stored version (storage's objectVersion: S3 ETag, a file's size and mtime); absent in records of earlier versions. */
  version?: string;
  /** Full backup or increment; absent in records of earlier versions (full backups, all of them). */
  kind?: BackupKind;
  /** An increment's full backup (the chain's first point); absent for a full backup. */
  base?: string;
  /** The point an increment was compared with: the chain's full backup for its first increment, the increment before otherwise; absent for a full backup. */
  parent?: string;
}

/**
 * Whether an object in a replica is the checked copy of an archive, from the records alone (nothing is read):
 * the replica's record of the copy (`copy`: written when the copy was read back and hashed, or when an object
 * already there was hashed and found byte-identical) is still the object stored there (same size and stored
 * version, so an object of the same size put under the name since does not pass), and what it recorded is the
 * archive's bytes: the SHA-256 of the archive's own record when there is one (`original`), else (an archive
 * this installation did not write, of which the copy's hash is the only record) its size.
 *
 * False for a record without a stored version (an earlier version's): the copier then hashes the object once
 * and records it anew. Whatever this does not prove is handed to the copier, which reads and hashes it and
 * never overwrites it. What it cannot see, bytes damaged in place under an unchanged size and mtime, is what
 * verifying the replica's archive finds (it compares them with this record).
 */
export function isRecordedCopy(
  copy: WrittenArchive | undefined,
  stored: { sizeBytes: number; version: string },
  original: { sizeBytes: number; record: WrittenArchive | undefined },
): boolean {
  if (!copy || copy.version === undefined || copy.version !== stored.version || copy.sizeBytes !== stored.sizeBytes) return false;
  return original.record ? copy.sha256 === original.record.sha256 && copy.sizeBytes === original.record.sizeBytes : copy.sizeBytes === original.sizeBytes;
}

/**
 * The archives this installation wrote, kept beside the service (in `.encryption.db`, not a managed
 * database: a restore must not roll it back, and it is never in a backup). What "made here" means: an
 * archive whose stored bytes hash to what was recorded at upload.
 *
 * Each target's records are kept in memory for the listing, which reads them all on every call: only this
 * class writes them, and only this process (DATA_DIR's lock: one service per DATA_DIR; the file is never in a
 * backup, so no restore replaces it). A write drops the target's copy as it is queued, so the next listing reads
 * the records again after it (reads and writes take turns in one queue: EncryptionDatabase), whether it succeeds or fails.
 */
@Injectable()
export class ArchiveProvenance {
  private readonly listed = new Map<BackupTarget, Promise<Map<string, WrittenArchive>>>();

  constructor(private readonly db: EncryptionDatabase) {}

  /** Records (or replaces: a later upload under the same name is what is stored now) an archive's record. */
  async record(entry: WrittenArchive): Promise<void> {
    const row = new WrittenArchiveEntity();
    row.target = entry.target;
    row.filename = entry.filename;
    row.sha256 = entry.sha256;
    row.sizeBytes = entry.sizeBytes;
    row.recipients = entry.recipients === null ? null : JSON.stringify(entry.recipients);
    row.createdAt = entry.createdAt.toISOString();
    row.version = entry.version ?? null;
    row.kind = entry.kind ?? null;
    row.base = entry.base ?? null;
    row.parent = entry.parent ?? null;
    this.listed.delete(entry.target);
    await this.db.transaction((manager) => manager.upsert(WrittenArchiveEntity, row, ['target', 'filename']));
  }

  async find(target: BackupTarget, filename: string): Promise<WrittenArchive | undefined> {
    const row = await this.db.read((manager) => manager.findOneBy(WrittenArchiveEntity, { target, filename }));
    return row ? toWrittenArchive(row) : undefined;
  }

  /** The records of `filename` under every target (a copy replicated to several targets has one each): for a reader that does not know the target. */
  async findEverywhere(filename: string): Promise<WrittenArchive[]> {
    return (await this.db.read((manager) => manager.findBy(WrittenArchiveEntity, { filename }))).map(toWrittenArchive);
  }

  /** How many archives this installation recorded writing, under every target (none: a new installation, or one whose records were lost). */
  async count(): Promise<number> {
    return this.db.read((manager) => manager.count(WrittenArchiveEntity));
  }

  /** Every record of `target`, by filename (for the listing): a copy of the one kept in memory. */
  async findAll(target: BackupTarget): Promise<Map<string, WrittenArchive>> {
    let records = this.listed.get(target);
    if (!records) {
      records = this.db
        .read((manager) => manager.findBy(WrittenArchiveEntity, { target }))
        .then((rows) => new Map(rows.map((row) => [row.filename, toWrittenArchive(row)])));
      this.listed.set(target, records);
      // A read that failed is not kept: the next listing tries again.
      records.catch(() => {
        if (this.listed.get(target) === records) this.listed.delete(target);
      });
    }
    return new Map([...(await records)].map(([filename, record]) => [filename, copyOf(record)]));
  }

  /**
   * Records the chain of an increment this installation adopted, as its own metadata names it: the list, rotation
   * and DELETE then follow it as they follow a chain this installation wrote. Not a record of writing it (find and
   * findAll do not answer it): an adopted archive is never "made here".
   */
  async recordAdoptedChain(target: BackupTarget, filename: string, chain: { base: string; parent: string }): Promise<void> {
    const row = new AdoptedChainEntity();
    row.target = target;
    row.filename = filename;
    row.base = chain.base;
    row.parent = chain.parent;
    await this.db.transaction((manager) => manager.upsert(AdoptedChainEntity, row, ['target', 'filename']));
  }

  /** The chains of the increments of `target` this installation adopted, by filename. */
  async adoptedChains(target: BackupTarget): Promise<Map<string, { base: string; parent: string }>> {
    const rows = await this.db.read((manager) => manager.findBy(AdoptedChainEntity, { target }));
    return new Map(rows.map((row) => [row.filename, { base: row.base, parent: row.parent }]));
  }

  /**
   * Forgets every record of a target (removed, or added under an id a removed one had): a new target of that id
   * did not write what the old one did, and must not count it as made here (nor delete it as its own copy).
   */
  async forgetTarget(target: BackupTarget): Promise<void> {
    this.listed.delete(target);
    await this.db.transaction(async (manager) => {
      await manager.delete(WrittenArchiveEntity, { target });
      await manager.delete(AdoptedChainEntity, { target });
    });
  }

  /** Forgets an archive the service deleted (a later object of the same name is then not "made here"). */
  async forget(target: BackupTarget, filename: string): Promise<void> {
    this.listed.delete(target);
    await this.db.transaction(async (manager) => {
      await manager.delete(WrittenArchiveEntity, { target, filename });
      await manager.delete(AdoptedChainEntity, { target, filename });
    });
  }
}

/**
 * The record of one archive in a DATA_DIR's `.encryption.db`, read without the service (the command line): over a
 * read-only connection that creates nothing and changes nothing (no schema, no checkpoint), so it works beside a
 * running service. Undefined when there is none: no such file (a DATA_DIR of an earlier version), or an archive
 * this installation did not write. Read with `SELECT *`, so a file whose schema an earlier version wrote (without
 * the columns added since, which only the service adds when it opens the file) is read as well.
 */
export async function readWrittenArchive(dataDir: string, target: BackupTarget, filename: string): Promise<WrittenArchive | undefined> {
  const file = path.join(dataDir, ENCRYPTION_DB_FILE);
  if (!fs.existsSync(file)) return undefined;
  const source = new DataSource({ type: 'better-sqlite3', database: file, readonly: true, fileMustExist: true, entities: [WrittenArchiveEntity] });
  await source.initialize();
  try {
    const [row] = (await source.query('SELECT * FROM written_archives WHERE target = ? AND filename = ?', [
      target,
      filename,
    ])) as Partial<WrittenArchiveEntity>[];
    return row ? toWrittenArchive(row as WrittenArchiveEntity) : undefined;
  } finally {
    await source.destroy();
  }
}

function toWrittenArchive(row: WrittenArchiveEntity): WrittenArchive {
  return {
    target: row.target,
    filename: row.filename,
    sha256: row.sha256,
    sizeBytes: row.sizeBytes,
    recipients: row.recipients === null ? null : (JSON.parse(row.recipients) as string[]),
    createdAt: new Date(row.createdAt),
    // `!= null`: a row read from an earlier schema has no such column at all (undefined).
    ...(row.version != null ? { version: row.version } : {}),
    ...(row.kind === 'full' || row.kind === 'incremental' ? { kind: row.kind } : {}),
    ...(row.base != null ? { base: row.base } : {}),
    ...(row.parent != null ? { parent: row.parent } : {}),
  };
}

/** A record the caller may change without changing the one kept in memory. */
function copyOf(record: WrittenArchive): WrittenArchive {
  return { ...record, recipients: record.recipients === null ? null : [...record.recipients], createdAt: new Date(record.createdAt) };
}
