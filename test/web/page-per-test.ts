/**
 * The frame of a browser test file: one Chromium for the file (web/dist built first), and for each test a
 * fresh context and page whose console must stay clean (errors the test causes on purpose aside).
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect } from '@jest/globals';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { collectPageErrors, launchBrowser } from './browser.js';
import { ensureWebBuilt } from './build.js';

/** Launches the browser before the file's tests and closes it after; call at the file's top level. */
export function browserPerFile(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    ensureWebBuilt();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('The browser is not launched yet: use it inside a test');
    return browser;
  };
}

export interface TestPage {
  /** This test's page (a new one for each test). */
  readonly page: Page;
}

/** A new context and page before each test of the describe block it is called in; after it, no console error but `ignore`. */
export function pagePerTest(browser: () => Browser, options: BrowserContextOptions, ignore: RegExp[] = []): TestPage {
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let errors: string[] = [];
  beforeEach(async () => {
    context = await browser().newContext(options);
    page = await context.newPage();
    errors = collectPageErrors(page, ignore);
  });
  afterEach(async () => {
    await context?.close();
    expect(errors).toEqual([]);
  });
  return {
    get page(): Page {
      if (!page) throw new Error('No page outside a test');
      return page;
    },
  };
}
