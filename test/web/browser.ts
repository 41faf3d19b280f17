/**
 * A real headless browser for the admin page tests: Debian's Chromium driven by playwright-core
 * (`npx playwright install` needs the internet; the system browser does not). CHROMIUM_PATH overrides
 * the executable. Playwright gives each launch a fresh throwaway profile.
 */
import fs from 'node:fs';
import { type Browser, chromium, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** `extraArgs` adds switches for one test, such as `--host-resolver-rules` to give loopback other names. */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`No browser at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...ARGS, ...extraArgs] });
}

/**
 * Collects what would show in the browser console as an error (uncaught exceptions, console.error,
 * CSP violations), so a test can assert the page ran cleanly. Network errors the test causes on
 * purpose (the service restarting) are filtered with `ignore`.
 */
export function collectPageErrors(page: Page, ignore: RegExp[] = []): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (!ignore.some((re) => re.test(text))) errors.push(`console: ${text}`);
  });
  return errors;
}

/** Retries `check` (which throws while the condition does not hold) until it passes or `timeoutMs` is over. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000, intervalMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

// The browser's globals as used by the functions below, which run inside the page (page.evaluate);
// declared here, in this module only, because the test project is compiled without the DOM library.
interface PageElement {
  id: string;
  textContent: string | null;
  blur(): void;
}
declare const document: { activeElement: PageElement | null; documentElement: { scrollWidth: number } };
declare const sessionStorage: Record<string, string>;
declare const localStorage: Record<string, string>;

/** The focused element: its id and its text (trimmed). */
export function focused(page: Page): Promise<{ id: string; text: string } | null> {
  return page.evaluate(() => {
    const element = document.activeElement;
    return element ? { id: element.id, text: (element.textContent ?? '').trim() } : null;
  });
}

export function blurFocused(page: Page): Promise<void> {
  return page.evaluate(() => document.activeElement?.blur());
}

/** The page's width including what overflows (equal to the viewport when nothing scrolls sideways). */
export function scrollWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

/** Every value the page keeps in sessionStorage and localStorage. */
export function storedValues(page: Page): Promise<{ session: string[]; local: string[] }> {
  return page.evaluate(() => ({ session: Object.values(sessionStorage), local: Object.values(localStorage) }));
}
