/** The built-in targets' settings cards (Cloudflare R2, Local folder): their settings fold behind "Edit" once configured. */
import type { Locator } from 'playwright-core';
import { eventually } from './browser.js';

/** Opens the card's settings (its "Edit" disclosure) unless they are open: after the settings loaded, so the click is not undone. */
export async function openSettings(card: Locator): Promise<void> {
  const state = await eventually(async () => {
    const value = await card.getAttribute('data-settings');
    expect(value === 'open' || value === 'folded').toBe(true);
    return value;
  });
  if (state === 'folded') await card.getByRole('button', { name: /^Edit .* settings$/ }).click();
  await eventually(async () => expect(await card.getAttribute('data-settings')).toBe('open'));
}
