import type { BackupTarget } from '../common/backup-target.js';
import type { DeliveredEventName, NotificationEventName, NotificationSeverity } from './notification-events.js';

/**
 * One notification, as every channel renders it; the generic webhook's JSON body is exactly this object
 * (snake_case, documented in docs/notifications.md). It never holds a secret: messages are built from error
 * messages that are themselves secret-free (DomainError) and from names, sizes and times.
 */
export interface Notification {
  /** Stable across retries and restarts: the receiver's idempotency key (header `X-Sentinel-Delivery` on webhooks). */
  id: string;
  event: DeliveredEventName;
  severity: NotificationSeverity;
  /** Null for events of no target (a failed apply whose flag could not be read, a test message). */
  target: BackupTarget | null;
  /** ISO 8601, when it happened. */
  time: string;
  /** One line: "R2 backup failed". */
  title: string;
  /** What happened, in words. */
  message: string;
  /** What to do, when something must be done; null otherwise. */
  hint: string | null;
  /** The error code (ErrorCode) of a failure; null otherwise. */
  error_code: string | null;
  /** ISO 8601 of the target's last successful backup, null when there is none (or no target). */
  last_success: string | null;
  /** The admin page (SENTINEL_PUBLIC_URL), null when that variable is not set. */
  link: string | null;
  /**
   * Set on a "works again" message: the failure event it ends, how many failures it ended and since when.
   * Sent to the channels that take that failure event.
   */
  resolves: { event: NotificationEventName; failures: number; since: string } | null;
  /** Event-specific facts: the archive's name, the verdict per database, the free and needed bytes, ... */
  details: Record<string, unknown>;
  /** The last lines of the service's log for this failure (a ping channel's `/fail` body); empty when none. */
  log_lines: string[];
}

/** What a rule hands to NotificationPublisher: the publisher adds id, severity, time (when absent) and link. */
export type NotificationInput = Omit<
  Notification,
  'id' | 'severity' | 'link' | 'time' | 'resolves' | 'details' | 'log_lines' | 'hint' | 'error_code' | 'last_success'
> &
  Partial<Pick<Notification, 'time' | 'resolves' | 'details' | 'log_lines' | 'hint' | 'error_code' | 'last_success'>>;
