/**
 * Accessibility checks run inside the page, for states the page reaches only through the service
 * (a recovery key panel, the key dialog). Not a full audit (axe-core is not a dependency of this
 * project): the rules a form most often breaks, checked on the elements that are shown.
 *  - every visible form control has a name (a <label for>, aria-label or aria-labelledby)
 *  - every visible button and link has a name (its text, or aria-label)
 *  - ids are unique, and every aria-labelledby / aria-describedby of a shown element names one that exists
 *  - no positive tabindex (it would break the reading order for keyboards)
 *  - an open modal dialog has a name and holds the focus
 */
import type { Locator, Page } from 'playwright-core';

// The browser's globals as used inside the page (the test project is compiled without the DOM library).
interface PageElement {
  id: string;
  tagName: string;
  type?: string;
  textContent: string | null;
  labels?: ArrayLike<unknown> | null;
  getAttribute(name: string): string | null;
  getClientRects(): ArrayLike<unknown>;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  contains(other: PageElement | null): boolean;
  closest(selector: string): PageElement | null;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  activeElement: PageElement | null;
};

/** The problems found in `scope` (the whole page when omitted), in words; [] when none. */
export async function accessibilityProblems(page: Page, scope?: Locator): Promise<string[]> {
  const check = (root: PageElement | null): string[] => {
    const problems: string[] = [];
    const base = root ?? (document as unknown as PageElement);
    const all = (selector: string): PageElement[] => Array.from(base.querySelectorAll(selector));
    const visible = (el: PageElement): boolean => el.getClientRects().length > 0 || el.type === 'file';
    const describe = (el: PageElement): string => `<${el.tagName.toLowerCase()}${el.id ? ` id="${el.id}"` : ''}>`;
    const named = (el: PageElement): boolean =>
      (el.getAttribute('aria-label') ?? '').trim() !== '' ||
      (el.getAttribute('aria-labelledby') ?? '').split(/\s+/).some((id) => id && document.getElementById(id)) ||
      (el.labels?.length ?? 0) > 0;

    for (const control of all('input, textarea, select')) {
      if (control.type === 'hidden' || !visible(control)) continue;
      if (!named(control)) problems.push(`${describe(control)} has no label`);
    }
    for (const button of all('button, a[href], [role="button"]')) {
      if (!visible(button)) continue;
      if ((button.textContent ?? '').trim() === '' && !named(button)) problems.push(`${describe(button)} has no name`);
    }
    const ids = new Map<string, number>();
    for (const el of Array.from(document.querySelectorAll('[id]'))) ids.set(el.id, (ids.get(el.id) ?? 0) + 1);
    for (const el of all('[id]')) if ((ids.get(el.id) ?? 0) > 1) problems.push(`id "${el.id}" is used ${ids.get(el.id)} times`);
    for (const el of all('[aria-labelledby], [aria-describedby]')) {
      // A closed dialog (or anything not rendered) is not in the accessibility tree.
      if (!visible(el)) continue;
      for (const attribute of ['aria-labelledby', 'aria-describedby']) {
        for (const id of (el.getAttribute(attribute) ?? '').split(/\s+/).filter(Boolean)) {
          if (!document.getElementById(id)) problems.push(`${describe(el)} ${attribute} names "${id}", which does not exist`);
        }
      }
    }
    for (const el of all('[tabindex]')) if (Number(el.getAttribute('tabindex')) > 0) problems.push(`${describe(el)} has a positive tabindex`);
    for (const dialog of Array.from(document.querySelectorAll('dialog[open]'))) {
      if (!named(dialog)) problems.push(`open ${describe(dialog)} has no name`);
      if (!dialog.contains(document.activeElement)) problems.push(`open ${describe(dialog)} does not hold the focus`);
    }
    return problems;
  };
  // Playwright sends the function's source to the page: it must not use anything from this module.
  if (scope) return scope.evaluate(check as (el: unknown) => string[]);
  return page.evaluate(check, null);
}
