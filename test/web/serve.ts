/** The service for a browser test: the whole app listening on a loopback port, and the page's text as a user reads it. */
import type { AddressInfo } from 'node:net';
import type { Locator, Page } from 'playwright-core';
import { InFlightRequests } from '../../src/common/lifecycle/in-flight-requests.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

export interface Served {
  t: TestApp;
  port: number;
  url: string;
  /** The server's requests, as main.ts keeps them: drained before a restart closes the app. */
  requests: InFlightRequests;
}

/** Boots the app (see startTestApp for `env` and `root`/`keep`) and listens on `port` (an ephemeral one by default). */
export async function serve(env: Record<string, string> = {}, options: { root?: string; keep?: boolean; port?: number } = {}): Promise<Served> {
  const t = await startTestApp(env, { root: options.root, keep: options.keep });
  const requests = new InFlightRequests(t.app.getHttpServer());
  await t.app.listen(options.port ?? 0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return { t, port, url: `http://127.0.0.1:${port}/`, requests };
}

/** The element's visible text with its white space collapsed. */
export async function text(locator: Locator): Promise<string> {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/**
 * What main.ts does on RestartSignal, played for a page that waits for the service: drains the keep-alive
 * connections and closes the app, waits until the page has seen it gone (one of its health polls fails),
 * and boots it again on the same data and port. `served` must have been started with `keep: true`.
 *
 * Without the drain, a poll in flight at the close kept its connection open and the page's polls every
 * second kept reusing it, so the close waited for as long as the page polled (a CI run failed on it).
 */
export async function restartServed(served: Served, page: Page): Promise<Served> {
  const sawItGone = page.waitForEvent('requestfailed', { predicate: (r) => new URL(r.url()).pathname === '/api/health', timeout: 15_000 });
  served.requests.drain();
  await served.t.close();
  await sawItGone;
  return serve({}, { root: served.t.root, keep: true, port: served.port });
}
