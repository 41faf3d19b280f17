/**
 * What can be notified (issue 15). The names are a public interface: channels list them in `events`, the
 * webhook body carries them, and outside checks rely on them. Failures are on for a new channel unless it
 * names its events; successes are off.
 */
export const NOTIFICATION_EVENTS = [
  'backup.succeeded',
  'backup.failed',
  'backup.overdue',
  'verification.failed',
  'rotation.failed',
  'restore.staged',
  'restore.applied',
  'restore.failed',
  'disk.low',
  'replication.failed',
  'replication.succeeded',
] as const;
export type NotificationEventName = (typeof NOTIFICATION_EVENTS)[number];

/** The events a channel created without `events` takes: every failure. */
export const DEFAULT_CHANNEL_EVENTS: readonly NotificationEventName[] = [
  'backup.failed',
  'backup.overdue',
  'verification.failed',
  'rotation.failed',
  'restore.failed',
  'disk.low',
  'replication.failed',
];

/**
 * What a delivery carries besides the events above, never chosen in `events`:
 * - `backup.started`: only for ping channels (the dead-man's switch's `/start`);
 * - `test`: the message of POST /api/notifications/channels/{id}/test.
 */
export type DeliveredEventName = NotificationEventName | 'backup.started' | 'test';

export type NotificationSeverity = 'info' | 'warning' | 'critical';

/** Severity of each event: ntfy's priority, the colour of a Slack or Discord message, the email subject's tag. */
export const EVENT_SEVERITY: Record<DeliveredEventName, NotificationSeverity> = {
  'backup.succeeded': 'info',
  'backup.failed': 'critical',
  'backup.overdue': 'critical',
  'verification.failed': 'critical',
  'rotation.failed': 'warning',
  'restore.staged': 'info',
  'restore.applied': 'info',
  'restore.failed': 'critical',
  'disk.low': 'warning',
  'replication.failed': 'critical',
  'replication.succeeded': 'info',
  'backup.started': 'info',
  test: 'info',
};

export function isNotificationEventName(value: unknown): value is NotificationEventName {
  return typeof value === 'string' && (NOTIFICATION_EVENTS as readonly string[]).includes(value);
}
