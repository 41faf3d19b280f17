import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import type { DomainEventClass } from './domain-event.js';

/** How long a listener may stay busy with one event before a warning names it (it is not stopped). */
export const SLOW_LISTENER_MS = 60_000;

const logger = new Logger('DomainEvents');

/**
 * Emits typed domain events: the event's class decides its name, so an emitter cannot misspell it.
 *
 * Emitting never fails and never waits: listeners are called in turn, synchronously (a listener's
 * synchronous part runs before `emit` returns, which the storage adapter relies on to drop its client
 * before the next request), and whatever a listener returns is not awaited. The one exception is
 * `emitAndWait`, for an event after which the process ends.
 */
@Injectable()
export class DomainEventBus {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<E extends object>(event: E): void {
    const eventName = (event.constructor as DomainEventClass<E>).eventName;
    try {
      this.emitter.emit(eventName, event);
    } catch (error) {
      // Only a listener put on the emitter directly gets here (@OnDomainEvent's never throw); EventEmitter2
      // stops at it, so the listeners after it missed this event.
      logger.error(`A listener of ${eventName} failed: ${messageOf(error)}`, stackOf(error));
    }
  }

  /**
   * Emits and waits until every listener has finished with the event, `async: true` ones included, or
   * until `timeoutMs` has passed: for the rare event after which the process ends (a failed start),
   * where a listener still running would be cut off. Never rejects. Resolves to the listeners still
   * busy when it stopped waiting (empty when all finished), named as the failure log names them.
   *
   * The wait's timer keeps the process alive on purpose: a listener that never settles must not let
   * the event loop empty (Node would then end the process as if nothing had failed).
   */
  async emitAndWait<E extends object>(event: E, timeoutMs: number): Promise<string[]> {
    const eventName = (event.constructor as DomainEventClass<E>).eventName;
    // emitAsync collects what the direct listeners return; an `async: true` listener is only queued by it
    // (setImmediate), so the wait goes one turn further, after which each has started and is in `running`.
    const direct = Promise.resolve()
      .then(async () => {
        const results = this.emitter.emitAsync(eventName, event);
        await new Promise<void>((resolve) => setImmediate(resolve));
        await results;
      })
      .catch((error: unknown) => logger.error(`A listener of ${eventName} failed: ${messageOf(error)}`, stackOf(error)));
    let directDone = false;
    const all = direct.then(async () => {
      directDone = true;
      for (let busy = runningListeners(event); busy.length > 0; busy = runningListeners(event)) await Promise.all(busy.map((run) => run.settled));
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)))]);
    clearTimeout(timer);
    if (!timedOut) return [];
    const busy = runningListeners(event).map((run) => run.name);
    // A listener put on the emitter directly (not through @OnDomainEvent) has no name to give.
    if (!directDone && busy.length === 0) busy.push(`a listener of ${eventName} not registered with @OnDomainEvent`);
    return busy;
  }
}

interface RunningListener {
  name: string;
  settled: Promise<unknown>;
}

/** The guarded listeners still working on each event object, so that emitAndWait can wait for them and name them. */
const running = new WeakMap<object, Set<RunningListener>>();

function runningListeners(event: object): RunningListener[] {
  return [...(running.get(event) ?? [])];
}

/**
 * Listens to a domain event by its class: `@OnDomainEvent(SettingsChangedEvent) handle(e: SettingsChangedEvent)`.
 *
 * A listener is never a step of the work that emitted the event: if it throws or its promise rejects,
 * the failure is logged with the event and the listener's class and method, and the emitter and the
 * other listeners carry on. Its promise is not awaited by `emit`, so one that never settles holds up
 * nothing (a warning names it after SLOW_LISTENER_MS); only `emitAndWait` waits, for a bounded time.
 *
 * Why the guard is in the method and not in the emitter: Nest's EventSubscribersLoader calls every
 * listener through an `async` wrapper, so even a synchronous throw becomes a promise that EventEmitter2's
 * `emit` drops: with `suppressErrors: false` that is an unhandled rejection (the process exits), and with
 * Nest's default it is logged without the event or listener's name. EventEmitter2's `async` option only
 * defers the call (the promise is still dropped). Wrapping the method is the one place that knows both
 * names and sees both kinds of failure.
 *
 * A direct call of the method (a unit spec) goes through the same guard: a synchronous result is
 * returned as is, a promise becomes one that settles with the listener's work and never rejects.
 *
 * `async: true` calls the listener on a later turn of the event loop instead of inside `emit`.
 */
export function OnDomainEvent(eventClass: DomainEventClass, options?: { async?: boolean }): MethodDecorator {
  const register = OnEvent(eventClass.eventName, { async: options?.async ?? false, suppressErrors: true });
  return (target, key, descriptor) => {
    const listener = descriptor.value as unknown as (...args: unknown[]) => unknown;
    if (!isGuarded(listener)) {
      const guarded = guard(listener, String(key), eventClass.eventName);
      // Metadata other decorators put on the method (Nest's event listener list among them) stays with it.
      for (const metadataKey of Reflect.getOwnMetadataKeys(listener)) {
        Reflect.defineMetadata(metadataKey, Reflect.getOwnMetadata(metadataKey, listener), guarded);
      }
      descriptor.value = guarded as never;
    }
    return register(target, key, descriptor);
  };
}

const GUARDED = Symbol('guarded domain event listener');

function isGuarded(listener: (...args: unknown[]) => unknown): boolean {
  return (listener as unknown as Record<symbol, unknown>)[GUARDED] === true;
}

/** `fallbackEvent` names the event when the payload is not a domain event (a method listening to two events names the one emitted). */
function guard(listener: (...args: unknown[]) => unknown, methodName: string, fallbackEvent: string): (...args: unknown[]) => unknown {
  const guarded = function (this: object, ...args: unknown[]): unknown {
    const name = (): string => `${this?.constructor?.name ?? 'unknown'}.${methodName}`;
    const eventName = eventNameOf(args[0]) ?? fallbackEvent;
    let result: unknown;
    try {
      result = listener.apply(this, args);
    } catch (error) {
      logger.error(`Listener ${name()} failed on ${eventName}: ${messageOf(error)}`, stackOf(error));
      return undefined;
    }
    if (!isThenable(result)) return result;
    const slow = setTimeout(() => {
      logger.warn(`Listener ${name()} has not finished with ${eventName} after ${SLOW_LISTENER_MS / 1000} s; the emitter and the other listeners went on`);
    }, SLOW_LISTENER_MS);
    // A listener that never settles must not keep the process alive either.
    slow.unref();
    const settled = Promise.resolve(result).then(
      () => {
        clearTimeout(slow);
        return undefined;
      },
      (error: unknown) => {
        clearTimeout(slow);
        logger.error(`Listener ${name()} failed on ${eventName}: ${messageOf(error)}`, stackOf(error));
        return undefined;
      },
    );
    const payload = args[0];
    if (typeof payload === 'object' && payload !== null) {
      const runs = running.get(payload) ?? new Set<RunningListener>();
      running.set(payload, runs);
      const run: RunningListener = { name: name(), settled };
      runs.add(run);
      void settled.then(() => runs.delete(run));
    }
    return settled;
  };
  Object.defineProperty(guarded, GUARDED, { value: true });
  Object.defineProperty(guarded, 'name', { value: listener.name });
  return guarded;
}

function eventNameOf(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const name = (payload.constructor as Partial<DomainEventClass> | undefined)?.eventName;
  return typeof name === 'string' ? name : undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}
