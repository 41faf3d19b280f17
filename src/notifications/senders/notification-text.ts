import type { Notification } from '../notification.js';

/** "r2" → "R2", "local" → "Local", an added target by its id, for the facts of a message. */
export function targetLabel(notification: Notification): string {
  if (notification.target === null) return '-';
  return notification.target === 'r2' ? 'R2' : notification.target === 'local' ? 'Local' : notification.target;
}

/** `text` cut to `max` characters, with an ellipsis when cut (the receivers' documented limits). */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The facts every rich message shows besides its title and text, in this order; empty ones left out. */
export function facts(notification: Notification): { name: string; value: string }[] {
  const list = [
    { name: 'Event', value: notification.event },
    { name: 'Target', value: notification.target === null ? '' : targetLabel(notification) },
    { name: 'Error code', value: notification.error_code ?? '' },
    { name: 'Last success', value: notification.last_success ?? (notification.target === null ? '' : 'never') },
  ];
  if (notification.resolves) {
    list.push({ name: 'Resolves', value: `${notification.resolves.event}: ${notification.resolves.failures} failures since ${notification.resolves.since}` });
  }
  return list.filter((fact) => fact.value !== '');
}
