/**
 * A domain event class carries its own name (`static eventName`), so emitters and listeners
 * refer to the class and no event-name string is repeated across files.
 */
export interface DomainEventClass<E extends object = object> {
  readonly eventName: string;
  new (...args: never[]): E;
}
