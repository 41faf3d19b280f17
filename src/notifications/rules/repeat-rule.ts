import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock.js';
import type { NotificationEventName } from '../notification-events.js';
import type { AlertStateEntity } from './alert-state.entity.js';
import { AlertStateStore } from './alert-state.store.js';

/** A failure going on is told again at most this often (a reminder with the count and the start). */
export const REMINDER_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** A failure kind and what it is about: the repeat rule's unit. */
export interface AlertKey {
  event: Extract<NotificationEventName, 'backup.failed' | 'backup.overdue' | 'disk.low' | 'replication.failed'>;
  /** The target (`r2`; the replica for replication.failed), or the folder for disk.low. */
  subject: string;
}

/** What to send about a failure: the first message, a reminder, or nothing (told less than a day ago). */
export interface FailureDecision {
  send: 'first' | 'reminder' | null;
  /** Failures counted since it began, this one included. */
  failures: number;
  /** ISO 8601: when it began. */
  since: string;
}

/** A failure that has ended: how many failures it counted, since when. */
export interface Recovery {
  failures: number;
  since: string;
}

/**
 * The repeat rule (no storms): a failure that repeats is sent the first time, then at most once a day
 * while it lasts (a reminder that says how many failures since when), and once when it ends ("works
 * again"). Per target and kind of failure; the state is durable (AlertStateStore) and every time comes
 * from the Clock.
 *
 * The caller publishes before it commits the decision (`commit`): killed in between, the failure is not
 * recorded and its next occurrence is sent as a first message again (a repeat), never swallowed.
 * Decisions about one key are taken one at a time.
 */
@Injectable()
export class RepeatRule {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: AlertStateStore,
    private readonly clock: Clock,
  ) {}

  /**
   * One more failure (`counted`: a new failed attempt; false: the same failure seen still going on, as the
   * overdue watch sees it at each check). `since`: when the failure began, when it began before it was
   * noticed (an overdue deadline); now by default. `send` runs with the decision; its state is saved once it resolved.
   */
  failed(key: AlertKey, send: (decision: FailureDecision) => Promise<unknown>, options: { counted?: boolean; since?: string } = {}): Promise<FailureDecision> {
    const counted = options.counted ?? true;
    return this.serial(async () => {
      const now = this.clock.now();
      const state = await this.store.get(keyOf(key));
      let next: AlertStateEntity;
      let decision: FailureDecision;
      if (!state) {
        next = {
          key: keyOf(key),
          event: key.event,
          since: options.since ?? now.toISOString(),
          failures: 1,
          lastFailureAt: now.toISOString(),
          lastSentAt: now.toISOString(),
        };
        decision = { send: 'first', failures: 1, since: next.since };
      } else {
        const due = now.getTime() - Date.parse(state.lastSentAt) >= REMINDER_INTERVAL_MS;
        const failures = state.failures + (counted ? 1 : 0);
        next = { ...state, failures, lastFailureAt: counted ? now.toISOString() : state.lastFailureAt, lastSentAt: due ? now.toISOString() : state.lastSentAt };
        decision = { send: due ? 'reminder' : null, failures, since: state.since };
      }
      if (decision.send) await send(decision);
      await this.store.save(next);
      return decision;
    });
  }

  /** The failure has ended: `send` runs with what it counted (not at all when none was going on); then the state is gone. */
  recovered(key: AlertKey, send: (recovery: Recovery) => Promise<unknown>): Promise<Recovery | null> {
    return this.serial(async () => {
      const state = await this.store.get(keyOf(key));
      if (!state) return null;
      const recovery = { failures: state.failures, since: state.since };
      await send(recovery);
      await this.store.delete(state.key);
      return recovery;
    });
  }

  /** Forgets a failure without a message (a target turned off: its overdue state no longer applies). */
  forget(key: AlertKey): Promise<void> {
    return this.serial(() => this.store.delete(keyOf(key)));
  }

  /** Whether a failure of that kind is going on. */
  async active(key: AlertKey): Promise<boolean> {
    await this.queue.catch(() => undefined);
    return (await this.store.get(keyOf(key))) !== null;
  }

  /** Resolves once every decision asked so far has been taken and saved (what a test waits on, instead of a sleep). */
  async settled(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.catch(() => undefined).then(work);
    this.queue = run;
    return run;
  }
}

function keyOf(key: AlertKey): string {
  return `${key.event}:${key.subject}`;
}
