import { Injectable, Logger } from '@nestjs/common';
import { BackupRunStore } from '../../backup/backup-run.store.js';
import type { BackupTarget } from '../../common/backup-target.js';
import { RecentLogLines } from '../../common/logging/recent-log-lines.js';
import { TargetRoster } from '../../targets/target-roster.js';
import type { Notification } from '../notification.js';

/** How many log lines a failure's notification quotes at most. */
export const NOTIFIED_LOG_LINES = 20;

/** What the rules add to every notification of a target: its last success, and the log lines of a failure. */
@Injectable()
export class NotificationFacts {
  private readonly logger = new Logger('Notifications');

  constructor(
    private readonly runs: BackupRunStore,
    private readonly recent: RecentLogLines,
    private readonly roster: TargetRoster,
  ) {}

  /**
   * ISO 8601 of the target's newest successful backup; null when none (or when the history cannot be read: the
   * message still goes out). An added target's history starts at its creation: a deleted target's runs under
   * the same id are not its own.
   */
  async lastSuccess(target: BackupTarget | null): Promise<string | null> {
    if (!target) return null;
    try {
      const since = (await this.roster.entry(target))?.since;
      return (await this.runs.lastSuccess(target, undefined, since))?.finishedAt ?? null;
    } catch (error) {
      this.logger.warn(`Cannot read the last successful ${target} backup for a notification: ${(error as Error).message}`);
      return null;
    }
  }

  /** The last lines of the log, from the last one containing `from` when given (a job's start line). */
  logLines(from?: string): string[] {
    return this.recent.tail(NOTIFIED_LOG_LINES, from);
  }
}

/** "2026-12-01 03:00 UTC": a time in a message (the ISO form is in the notification's fields). */
export function readableTime(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** "1 failure", "3 failures". */
export function failuresText(count: number): string {
  return count === 1 ? '1 failure' : `${count} failures`;
}

/**
 * For a send under the repeat rule: the publisher never throws (it logs a notification it could not write);
 * this turns "not written" into a rejection, so the rule does not record as told what never reached the
 * outbox, and the next occurrence is sent as news again.
 */
export async function written(publishing: Promise<Notification | undefined>): Promise<void> {
  if ((await publishing) === undefined)
    throw new Error('the notification could not be written to the outbox (logged above); the next occurrence is sent again');
}
