/** A setting was written through the settings store. Carries the key only, never the value (it may be a secret). */
export class SettingsChangedEvent {
  static readonly eventName = 'settings.changed';
  constructor(readonly key: string) {}
}
