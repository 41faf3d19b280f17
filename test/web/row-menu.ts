/** A backup row's actions sit in one "Actions" menu (components/RowMenu.tsx): tests reach Restore, Verify, Download, Adopt and Delete through it. */
import type { Locator, Page } from 'playwright-core';

/** The row's "Actions" menu button. */
export function rowMenuButton(row: Locator): Locator {
  return row.getByRole('button', { name: /^Actions\b/ });
}

/** The item `name` of the row's menu, after opening the menu (as a user does, with a click). */
export async function rowMenuItem(row: Locator, name: string): Promise<Locator> {
  const button = rowMenuButton(row);
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
  const item = row.getByRole('menu').getByRole('menuitem', { name, exact: true });
  await item.waitFor();
  // The menu has taken the focus (it opens on its first item), as it does for a user.
  await row.locator('[role="menuitem"]:focus').waitFor();
  return item;
}

/** Opens the row's "Actions" menu and clicks its item `name` ("Restore", "Verify", "Download", "Adopt", "Delete"). */
export async function rowAction(page: Page, row: Locator, name: string): Promise<void> {
  await (await rowMenuItem(row, name)).click();
  // The menu closed (the focus went back to its button before the action ran), unless the action removed the row.
  await row.getByRole('menu').waitFor({ state: 'hidden' });
  await page.waitForLoadState('domcontentloaded');
}
