import type { Page } from 'playwright-core';

/** A time as the page writes it (format.ts formatDateTime), formatted by the browser itself in its zone and language, the zone named. */
export function pageDateTime(page: Page, iso: string): Promise<string> {
  return page.evaluate((at) => {
    const format = new Intl.DateTimeFormat(undefined, {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    });
    return `${format.format(new Date(at))} ${format.resolvedOptions().timeZone}`;
  }, iso);
}
