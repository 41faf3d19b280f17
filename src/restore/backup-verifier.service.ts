import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertBackupName } from '../archive-format/backup-name.js';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import type { StoredBytes } from './archive-reader/archive-read-pipeline.js';
import { BackupArchiveOpener } from './archive-reader/backup-archive-opener.js';
import type { DatabaseVerdict } from './archive-reader/database-checks.js';
import type { ArchiveToUnpack } from './core/archive-unpacker.js';
import { isIncrementName, type PointToUnpack } from './core/point-unpacker.js';
import { type ArchiveProblem, ArchiveVerification } from './core/archive-verification.js';
import type { WrittenArchive } from '../encryption/archive-provenance.store.js';
import { VerificationCompletedEvent, VerificationFailedEvent, type VerificationTrigger } from './restore.events.js';
import { type ArchiveRequest, describeDifference, keyRequired, matchesRecord, StoredArchiveAccess, type VerificationAccess } from './stored-archive-access.js';

export type { ArchiveProblem };

export interface VerificationReport {
  target: BackupTarget;
  archive: string;
  /** True when the archive could be restored: every check passed. */
  ok: boolean;
  /** One line for a person. */
  message: string;
  checkedAt: string;
  durationMs: number;
  /** The metadata's timestamp, when the metadata could be read. */
  backupTimestamp: string | null;
  databases: DatabaseVerdict[];
  /** The archive-level problem, if any (the databases list is then empty or partial). */
  problem: ArchiveProblem | null;
  /** Encrypted with age (`.tar.gz.age`). Absent in reports of earlier versions: false. */
  encrypted?: boolean;
  /**
   * A limited verification: an encrypted backup with no key at hand (write-only mode), of which only the
   * stored object was checked against the record of its upload (present, size, SHA-256); its databases
   * were not opened. Absent in reports of earlier versions: false.
   */
  limited?: boolean;
  /**
   * True when the stored bytes are the ones this installation recorded writing (plain or encrypted), false
   * when they differ or it has no record of writing them. null: not checked (the archive could not be read in full).
   */
  madeHere?: boolean | null;
}

/** A verification running (or waiting for its turn) for a target. */
export interface RunningVerification {
  target: BackupTarget;
  filename: string;
  startedAt: string;
  /** Bytes of the archive read so far, and its size (0 until it is open): the page's rate and time left. */
  bytesRead: number;
  archiveBytes: number;
}

/**
 * Runs every check of a restore's phase 1 on a backup, in a scratch folder that is removed
 * afterwards, and changes nothing else. Unlike staging it does not stop at the first bad database:
 * each gets its verdict. Used by the verify endpoint and by the weekly verification of the newest backup.
 *
 * Bounded work: one verification per target at a time (a second is refused with 409 naming the
 * running one, not queued: a queue let aborted requests pile up work nobody waits for), and the
 * targets' verifications take turns, so at most one uses the CPU. A caller's signal (the HTTP
 * request's connection) cancels its verification: download, gunzip, extraction and integrity checks
 * stop, and the scratch folder is removed.
 */
@Injectable()
export class BackupVerifier implements OnModuleDestroy {
  private readonly logger = new Logger('Restore');
  private queue: Promise<unknown> = Promise.resolve();
  private readonly abort = new AbortController();
  private readonly current = new Map<BackupTarget, RunningVerification>();

  constructor(
    private readonly opener: BackupArchiveOpener,
    private readonly access: StoredArchiveAccess,
    private readonly verification: ArchiveVerification,
    private readonly clock: Clock,
    private readonly events: DomainEventBus,
  ) {}

  /**
   * Verifies `filename` of `target`. Archive problems are reported, not thrown; a bad name (400), an
   * unknown backup (404), a verification of the target already running (409) or a storage failure are thrown.
   * `signal` cancels it (the caller went away). `request` brings a key for an encrypted backup, for this
   * verification only; with none and no key on the server, the verification is limited (see VerificationReport.limited).
   */
  verify(
    target: BackupTarget,
    filename: string,
    signal?: AbortSignal,
    request: ArchiveRequest = { identities: [] },
    trigger: VerificationTrigger = 'manual',
  ): Promise<VerificationReport> {
    assertBackupName(filename);
    const running = this.current.get(target);
    if (running) {
      throw new DomainError(
        ErrorCode.VerificationInProgress,
        `A verification of the ${targetLabel(target)} backup ${running.filename} is already running (started ${running.startedAt}). ` +
          'One verification runs at a time per target: wait for it to finish, then try again',
        { target, filename: running.filename, started_at: running.startedAt },
      );
    }
    const entry: RunningVerification = { target, filename, startedAt: this.clock.now().toISOString(), bytesRead: 0, archiveBytes: 0 };
    // Registered before the first await, so a second request in the same tick is refused.
    this.current.set(target, entry);
    const cancel = signal ? AbortSignal.any([this.abort.signal, signal]) : this.abort.signal;
    const run = this.queue.then(() => this.run(entry, cancel, request, trigger)).finally(() => this.current.delete(target));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** What is running or waiting its turn, for a stop that runs out of time. */
  running(): RunningVerification[] {
    return [...this.current.values()];
  }

  async onModuleDestroy(): Promise<void> {
    this.abort.abort(new DomainError(ErrorCode.DatabaseUnavailable, 'The service is shutting down; the verification was stopped'));
    await this.queue;
  }

  private async run(entry: RunningVerification, signal: AbortSignal, request: ArchiveRequest, trigger: VerificationTrigger): Promise<VerificationReport> {
    const { target, filename: archive } = entry;
    // Its turn has come: the time and bytes from here are the verification's own, not the wait's.
    entry.startedAt = this.clock.now().toISOString();
    const started = Date.now();
    try {
      return await this.check(entry, signal, request, trigger, started);
    } catch (error) {
      // A verification that reached no verdict (storage unreachable, backup gone, key missing) is a failed attempt for
      // the run history; one whose caller went away, or the service stopping, is not.
      if (!signal.aborted) {
        const code = error instanceof DomainError ? error.code : ErrorCode.Internal;
        this.events.emit(new VerificationFailedEvent(target, archive, trigger, code, (error as Error).message, Date.now() - started));
      }
      throw error;
    }
  }

  private async check(
    entry: RunningVerification,
    signal: AbortSignal,
    request: ArchiveRequest,
    trigger: VerificationTrigger,
    started: number,
  ): Promise<VerificationReport> {
    const { target, filename: archive } = entry;
    const report = (fields: Partial<VerificationReport> & Pick<VerificationReport, 'ok' | 'message'>): VerificationReport => ({
      target,
      archive,
      checkedAt: this.clock.now().toISOString(),
      durationMs: Date.now() - started,
      backupTimestamp: null,
      databases: [],
      problem: null,
      encrypted: access.encrypted,
      limited: false,
      madeHere: null,
      ...fields,
    });
    signal.throwIfAborted();
    const access = await this.access.forVerification(target, archive, request);
    let result: VerificationReport;
    try {
      if (access.encrypted && !access.keys) {
        if (!access.record) throw keyRequired(archive, access.recipients);
        result = await this.limited(target, archive, access.record, access.storedSize, signal, report);
      } else {
        result = await this.full(entry, access, signal, report);
      }
    } catch (error) {
      if (signal.aborted) {
        this.logger.log(`${targetLabel(target)} backup verification of ${archive} stopped: ${(signal.reason as Error)?.message ?? 'cancelled'}`);
        throw signal.reason;
      }
      throw error;
    }
    this.log(result);
    const verdicts = result.databases.map((db) => ({ name: db.name, ok: db.message === 'ok', message: db.message }));
    this.events.emit(
      new VerificationCompletedEvent(
        target,
        archive,
        result.ok ? 'passed' : 'failed',
        problemLines(result),
        result.limited ?? false,
        verdicts,
        trigger,
        result.durationMs,
      ),
    );
    return result;
  }

  /** Every check a restore makes (ArchiveVerification); an encrypted backup decrypted with the keys at hand, and compared with the record of its upload. */
  private async full(
    entry: RunningVerification,
    access: VerificationAccess,
    signal: AbortSignal,
    report: (fields: Partial<VerificationReport> & Pick<VerificationReport, 'ok' | 'message'>) => VerificationReport,
  ): Promise<VerificationReport> {
    const { target, filename: archive } = entry;
    const { record } = access;
    let stored: Required<StoredBytes> | undefined;
    const point: ArchiveToUnpack = {
      name: archive,
      open: async (openSignal) => ({
        ...(await this.opener.open(target, archive, openSignal)),
        keys: access.keys,
        checkStored: record ? (bytes) => void (stored = bytes) : undefined,
      }),
    };
    // An increment is verified as it restores: rebuilt from its chain's links in the same target, read with the same keys.
    const link = (name: string): ArchiveToUnpack => ({
      name,
      open: async (openSignal) => ({ ...(await this.opener.open(target, name, openSignal)), keys: access.keys }),
    });
    const toUnpack: PointToUnpack = isIncrementName(archive) ? { ...point, link } : point;
    const verdict = await this.verification.verify(toUnpack, {
      signal,
      onOpened: (bytes) => (entry.archiveBytes = bytes),
      onProgress: (bytes) => (entry.bytesRead = bytes),
    });
    if (verdict.wrongKey)
      return report({ ok: false, message: `Verification FAILED: ${verdict.wrongKey.message}`, problem: verdict.problem, madeHere: record ? null : false });
    if (!verdict.read) return report({ ok: false, message: verdict.problem?.message ?? '', problem: verdict.problem });
    const { databases } = verdict;
    const bad = databases.filter((db) => !db.checksumOk || !db.integrityOk);
    const madeHere = record !== undefined && stored !== undefined && matchesRecord(record, stored);
    const replaced =
      record && stored && !madeHere ? `the stored archive is not the one this installation wrote: replaced? (${describeDifference(record, stored)})` : '';
    const problem: ArchiveProblem | null = verdict.problem ?? (replaced ? { check: 'made-here', file: archive, message: replaced } : null);
    const ok = verdict.ok && !replaced;
    const unknown = access.encrypted && !record ? '. This installation has no record of writing it: a restore asks for "confirm_unknown": true' : '';
    const message = ok
      ? `All ${databases.length} databases are intact: checksums match and the SQLite integrity check passes${unknown}`
      : [
          bad.length ? `${bad.length} of ${databases.length} databases failed: ${bad.map((db) => `${db.filename}: ${db.message}`).join('; ')}` : '',
          problem?.message ?? '',
          problem?.check === 'made-here' ? '' : replaced,
        ]
          .filter(Boolean)
          .join('. ');
    return report({ ok, message, backupTimestamp: verdict.backupTimestamp, databases, problem, madeHere });
  }

  /**
   * An encrypted backup with no key at hand (write-only mode): downloads the stored archive and compares
   * its size and SHA-256 with the record of its upload, without decrypting it. It shows the archive is
   * the one written and intact in storage; what is inside was checked when it was written, not now.
   */
  private async limited(
    target: BackupTarget,
    archive: string,
    record: WrittenArchive,
    storedSize: number,
    signal: AbortSignal,
    report: (fields: Partial<VerificationReport> & Pick<VerificationReport, 'ok' | 'message'>) => VerificationReport,
  ): Promise<VerificationReport> {
    const why = 'no key on the server (write-only mode)';
    const failed = (message: string) =>
      report({
        ok: false,
        limited: true,
        madeHere: false,
        message: `Limited verification FAILED: ${message}. (${why}: its databases were not opened)`,
        problem: { check: 'made-here', file: archive, message },
      });
    // The size is known before any download: a replaced object of another size (however large) is not read.
    if (storedSize !== record.sizeBytes) {
      return failed(
        `the stored archive is not the one this installation wrote: replaced or damaged? (written ${record.createdAt.toISOString()} as ${record.sizeBytes} bytes; ` +
          `stored now: ${storedSize} bytes; not downloaded)`,
      );
    }
    const { body } = await this.opener.open(target, archive, signal);
    const hash = createHash('sha256');
    let bytes = 0;
    const tooLong = new Error('longer than recorded');
    const sink = new Writable({
      highWaterMark: 256 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        // Grown since the HEAD: stop reading rather than hash bytes that cannot match.
        if (bytes > record.sizeBytes) return callback(tooLong);
        hash.update(chunk);
        callback();
      },
    });
    try {
      await pipeline(body, sink, { signal });
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      if (error === tooLong) {
        return failed(
          `the stored archive is not the one this installation wrote: replaced or damaged? (written ${record.createdAt.toISOString()} as ${record.sizeBytes} bytes; ` +
            `stored now: more than that; reading stopped there)`,
        );
      }
      throw new DomainError(
        ErrorCode.StorageUnavailable,
        `Reading ${archive} broke off after ${bytes} bytes: ${(error as Error).message}. Nothing was changed; try again`,
        { file: archive },
        { cause: error },
      );
    }
    const stored = { bytes, sha256: hash.digest('hex') };
    if (matchesRecord(record, stored)) {
      return report({
        ok: true,
        limited: true,
        madeHere: true,
        message: `Limited verification passed: ${why}: checked that the stored archive is the one written (${bytes} bytes, SHA-256 as recorded at upload); its databases were not opened`,
      });
    }
    return failed(`the stored archive is not the one this installation wrote: replaced or damaged? (${describeDifference(record, stored)})`);
  }

  private log(report: VerificationReport): void {
    const line = `${targetLabel(report.target)} backup verification of ${report.archive}: ${report.ok ? 'ok' : 'FAILED'}: ${report.message}`;
    if (report.ok) this.logger.log(line);
    else this.logger.warn(line);
  }
}

/** The report's problems, one line each: the archive's, then each failed database's. */
function problemLines(report: VerificationReport): string[] {
  const lines = report.problem ? [`${report.problem.file}: ${report.problem.message}`] : [];
  for (const db of report.databases) if (db.message !== 'ok') lines.push(`${db.filename}: ${db.message}`);
  return lines;
}
