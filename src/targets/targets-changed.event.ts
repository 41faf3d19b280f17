/**
 * A target was added, changed or removed through /api/targets (a built-in's settings also emit
 * SettingsChangedEvent). Carries the id only, never a field's value (it may be a secret).
 */
export class TargetsChangedEvent {
  static readonly eventName = 'targets.changed';
  constructor(
    readonly id: string,
    readonly change: 'added' | 'changed' | 'removed',
  ) {}
}
