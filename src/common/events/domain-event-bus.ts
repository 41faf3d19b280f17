import { Injectable } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import type { DomainEventClass } from './domain-event.js';

/** Emits typed domain events: the event's class decides its name, so an emitter cannot misspell it. */
@Injectable()
export class DomainEventBus {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<E extends object>(event: E): void {
    const eventName = (event.constructor as DomainEventClass<E>).eventName;
    this.emitter.emit(eventName, event);
  }
}

/** Listens to a domain event by its class: `@OnDomainEvent(SettingsChangedEvent) handle(e: SettingsChangedEvent)`. */
export function OnDomainEvent(eventClass: DomainEventClass, options?: { async?: boolean }): MethodDecorator {
  return OnEvent(eventClass.eventName, { async: options?.async ?? false, suppressErrors: false });
}
