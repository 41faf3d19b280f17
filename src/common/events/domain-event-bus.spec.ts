import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { Test, type TestingModule } from '@nestjs/testing';
import { DomainEventBus, OnDomainEvent, SLOW_LISTENER_MS } from './domain-event-bus.js';

class ThingHappenedEvent {
  static readonly eventName = 'thing.happened';
  constructor(readonly id: number) {}
}

class OtherThingEvent {
  static readonly eventName = 'thing.other';
  constructor(readonly id: number) {}
}

/** Listeners in registration order: each kind of misbehaviour, then one that only records. */
@Injectable()
class Listeners {
  readonly seen: string[] = [];
  /** Settles the hanging listener (a test that wants to see it end). */
  release: (() => void) | undefined;

  @OnDomainEvent(ThingHappenedEvent)
  throwsAtOnce(event: ThingHappenedEvent): void {
    this.seen.push(`throwsAtOnce ${event.id}`);
    throw new Error(`sync failure ${event.id}`);
  }

  @OnDomainEvent(ThingHappenedEvent)
  async rejects(event: ThingHappenedEvent): Promise<void> {
    this.seen.push(`rejects ${event.id}`);
    await Promise.resolve();
    throw new Error(`async failure ${event.id}`);
  }

  @OnDomainEvent(ThingHappenedEvent)
  hangs(event: ThingHappenedEvent): Promise<void> {
    this.seen.push(`hangs ${event.id}`);
    return new Promise((resolve) => (this.release = resolve));
  }

  @OnDomainEvent(OtherThingEvent, { async: true })
  throwsLater(event: OtherThingEvent): void {
    this.seen.push(`throwsLater ${event.id}`);
    throw new Error(`deferred failure ${event.id}`);
  }

  @OnDomainEvent(ThingHappenedEvent)
  @OnDomainEvent(OtherThingEvent)
  records(event: ThingHappenedEvent | OtherThingEvent): string {
    this.seen.push(`records ${event.constructor.name} ${event.id}`);
    return 'returned';
  }
}

describe('DomainEventBus and @OnDomainEvent', () => {
  let moduleRef: TestingModule;
  let bus: DomainEventBus;
  let listeners: Listeners;
  let errors: string[];
  let warnings: string[];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(async () => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
    errors = [];
    warnings = [];
    jest.spyOn(Logger.prototype, 'error').mockImplementation(function (this: Logger, message: unknown) {
      errors.push(`[${this.context}] ${String(message)}`);
    });
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(function (this: Logger, message: unknown) {
      warnings.push(`[${this.context}] ${String(message)}`);
    });
    moduleRef = await Test.createTestingModule({
      imports: [EventEmitterModule.forRoot({ wildcard: false })],
      providers: [DomainEventBus, Listeners],
    }).compile();
    await moduleRef.init();
    bus = moduleRef.get(DomainEventBus);
    listeners = moduleRef.get(Listeners);
  });

  afterEach(async () => {
    // Deferred (async: true) listeners of this test run now, not in the next one.
    await new Promise((resolve) => setImmediate(resolve));
    listeners.release?.();
    await moduleRef.close();
    process.off('unhandledRejection', onUnhandled);
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  /** Lets every pending promise callback (and one macrotask) run. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('calls every listener in turn although one throws, one rejects and one never settles', async () => {
    expect(() => bus.emit(new ThingHappenedEvent(1))).not.toThrow();
    // Delivery is synchronous (a settings change must reach the storage adapter before the next request).
    expect(listeners.seen).toEqual(['throwsAtOnce 1', 'rejects 1', 'hangs 1', 'records ThingHappenedEvent 1']);
    await settle();
    bus.emit(new ThingHappenedEvent(2));
    expect(listeners.seen.slice(4)).toEqual(['throwsAtOnce 2', 'rejects 2', 'hangs 2', 'records ThingHappenedEvent 2']);
  });

  it('logs each failure once with the event and the listener, and nothing reaches the process as an unhandled rejection', async () => {
    bus.emit(new ThingHappenedEvent(7));
    await settle();
    await settle();
    expect(unhandled).toEqual([]);
    expect(errors).toEqual([
      '[DomainEvents] Listener Listeners.throwsAtOnce failed on thing.happened: sync failure 7',
      '[DomainEvents] Listener Listeners.rejects failed on thing.happened: async failure 7',
    ]);
  });

  it('a method listening to two events is called for each, and names the event that was emitted', async () => {
    bus.emit(new OtherThingEvent(3));
    expect(listeners.seen).toEqual(['records OtherThingEvent 3']);
    bus.emit(new ThingHappenedEvent(3));
    expect(listeners.seen.at(-1)).toBe('records ThingHappenedEvent 3');
  });

  it('async: true calls the listener after emit has returned, and its failure is logged the same way', async () => {
    bus.emit(new OtherThingEvent(6));
    expect(listeners.seen).toEqual(['records OtherThingEvent 6']);
    await settle();
    expect(listeners.seen).toEqual(['records OtherThingEvent 6', 'throwsLater 6']);
    expect(unhandled).toEqual([]);
    expect(errors).toEqual(['[DomainEvents] Listener Listeners.throwsLater failed on thing.other: deferred failure 6']);
  });

  it('a direct call of a listener method keeps its result (sync) or settles when the work has (async), never rejecting', async () => {
    expect(listeners.records(new OtherThingEvent(4))).toBe('returned');
    await expect(listeners.rejects(new ThingHappenedEvent(5))).resolves.toBeUndefined();
    expect(errors).toEqual(['[DomainEvents] Listener Listeners.rejects failed on thing.happened: async failure 5']);
  });

  it('warns once about a listener still busy after SLOW_LISTENER_MS, naming it and the event', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    bus.emit(new ThingHappenedEvent(9));
    await settle();
    jest.advanceTimersByTime(SLOW_LISTENER_MS - 1);
    expect(warnings).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(warnings).toEqual([
      `[DomainEvents] Listener Listeners.hangs has not finished with thing.happened after ${SLOW_LISTENER_MS / 1000} s; the emitter and the other listeners went on`,
    ]);
    jest.advanceTimersByTime(10 * SLOW_LISTENER_MS);
    expect(warnings).toHaveLength(1);
  });

  it('a listener that settles in time leaves no timer behind', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    bus.emit(new ThingHappenedEvent(10));
    listeners.release!();
    await settle();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('a listener registered on the emitter directly (not through the decorator) that throws cannot fail the emitter', () => {
    moduleRef.get(EventEmitter2).on(OtherThingEvent.eventName, () => {
      throw new Error('raw listener failure');
    });
    expect(() => bus.emit(new OtherThingEvent(11))).not.toThrow();
    expect(errors).toEqual(['[DomainEvents] A listener of thing.other failed: raw listener failure']);
  });
});
