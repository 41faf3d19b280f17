/**
 * Makes sure web/dist holds a build of the current web/ sources before a browser test serves it:
 * builds with Vite when it is missing or older than any source file (a few seconds).
 * The e2e tier runs test files in parallel, and two browser test files may ask at the same time: the
 * build is done under a lock (a folder next to web/dist), and whoever waited finds it fresh.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB = path.join(ROOT, 'web');
const INDEX = path.join(WEB, 'dist', 'index.html');
const LOCK = path.join(WEB, '.dist-build.lock');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  const built = fs.existsSync(INDEX) ? fs.statSync(INDEX).mtimeMs : 0;
  return built > newestSource(WEB);
}

export function ensureWebBuilt(): void {
  if (isFresh()) return;
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than any build is one a killed run left behind.
      const since = fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 120_000) fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > until) throw new Error(`web/dist is being built by another test file for 2 minutes (lock ${LOCK})`, { cause: error });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (isFresh()) return;
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'vite'), ['build', 'web', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit', timeout: 120_000 });
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}
