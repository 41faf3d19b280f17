import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';

/**
 * The built admin page: `web/dist` at the repository root, written by `npm run build:web` (Vite).
 * Resolved from this file, so it is the same folder from `src/web` (tests) and `dist/web` (the build).
 */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export function isWebBuilt(dir: string = WEB_DIST_DIR): boolean {
  return fs.existsSync(path.join(dir, 'index.html'));
}

/**
 * The page only talks to its own origin. Inline styles stay allowed because the chart library sizes
 * its canvas with style attributes; scripts must come from the page's own files.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Headers of every served file: hashed assets are cached for good, the HTML is revalidated on each load. */
export function setWebHeaders(res: ServerResponse, filePath: string): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (filePath.endsWith('.html')) {
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
  } else if (filePath.includes(`${path.sep}assets${path.sep}`)) {
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  }
}
