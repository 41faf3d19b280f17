/**
 * Accessibility checks for the admin page's tests.
 *
 * `accessibilityProblems` runs axe-core (the audit issue 18 asks for) on the page, or on one part of it, at
 * the two widths the page is made for (1280 px and a 390 px phone), and reports every serious or critical
 * finding, plus `region` (content outside any landmark, which axe rates moderate but the issue names). axe's
 * source is evaluated into the page: the page's Content-Security-Policy (script-src 'self') would refuse a
 * <script> tag, and an evaluation from the test driver is not subject to it.
 *
 * After axe, the hand checks below run on the elements that are shown; they keep what axe does not look at:
 *  - every visible form control has a name (a <label for>, aria-label or aria-labelledby)
 *  - every visible button and link has a name (its text, or aria-label)
 *  - ids are unique, and every aria-labelledby / aria-describedby of a shown element names one that exists
 *  - no positive tabindex (it would break the reading order for keyboards)
 *  - an open modal dialog has a name and holds the focus (axe checks neither of a native <dialog>)
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
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

/** The widths every state is audited at: a laptop and a phone. */
export const AUDIT_WIDTHS = [1280, 390] as const;

/** axe-core's browser bundle, read once per test file. */
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** What the page hands back of one axe finding (the whole result holds the DOM's snapshots: too big to send). */
interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; summary: string }[];
}

// The axe global once its source has been evaluated in the page (only what is used here).
declare const window: {
  axe?: {
    run(
      context: unknown,
      options: { resultTypes: string[] },
    ): Promise<{ violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] }>;
  };
};

/** Findings a user of the page would meet: serious and critical ones, and content outside a landmark. */
function reported(finding: AxeFinding): boolean {
  return finding.impact === 'serious' || finding.impact === 'critical' || finding.id === 'region';
}

/** Elements named per finding: enough to find the pattern, short enough to read in a test failure. */
const ELEMENTS_SHOWN = 5;

/** One line per element: rule, impact, width, what axe says, where, and what to fix; then how many more elements have it. */
function describeFinding(finding: AxeFinding, width: number): string[] {
  const head = `${finding.id} (${finding.impact}, ${width} px): ${finding.help}`;
  const lines = finding.nodes.slice(0, ELEMENTS_SHOWN).map((node) => `${head} at ${node.target.join(' ')}: ${node.summary.replace(/\s+/g, ' ').trim()}`);
  const more = finding.nodes.length - ELEMENTS_SHOWN;
  return more > 0 ? [...lines, `${head}: ${more} more element${more === 1 ? '' : 's'}`] : lines;
}

/** axe-core's serious and critical findings in `scope` (the whole page when omitted) at the page's current width, in words. */
export async function axeProblems(page: Page, scope?: Locator): Promise<string[]> {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(`${AXE_SOURCE}\n;true`);
  const run = async (root: unknown): Promise<AxeFinding[]> => {
    if (!window.axe) throw new Error('axe-core did not load into the page');
    const results = await window.axe.run(root ?? document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String), summary: n.failureSummary ?? '' })),
    }));
  };
  const findings = scope ? await scope.evaluate(run as (el: unknown) => Promise<AxeFinding[]>) : await page.evaluate(run, null);
  const width = page.viewportSize()?.width ?? 0;
  return findings.filter(reported).flatMap((finding) => describeFinding(finding, width));
}

/**
 * The problems found in `scope` (the whole page when omitted), in words; [] when none: axe-core at each of
 * `widths` (AUDIT_WIDTHS unless told; the viewport is put back as it was after), then the hand checks at the
 * page's own width.
 */
export async function accessibilityProblems(page: Page, scope?: Locator, { widths = AUDIT_WIDTHS }: { widths?: readonly number[] } = {}): Promise<string[]> {
  const viewport = page.viewportSize();
  const problems: string[] = [];
  if (viewport) {
    try {
      for (const width of widths) {
        await page.setViewportSize({ width, height: viewport.height });
        problems.push(...(await axeProblems(page, scope)));
      }
    } finally {
      await page.setViewportSize(viewport);
    }
  } else {
    problems.push(...(await axeProblems(page, scope)));
  }
  return [...problems, ...(await handCheckedProblems(page, scope))];
}

/** The hand checks of the header, on the elements that are shown. */
async function handCheckedProblems(page: Page, scope?: Locator): Promise<string[]> {
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
