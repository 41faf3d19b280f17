import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * Mounts a tmpfs of `size` at `dir`, for a real full disk; undefined when this machine does not allow
 * it (mounting needs root), and the caller skips its test.
 */
export function mountTmpfs(dir: string, size: string): string | undefined {
  fs.mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return dir;
  } catch (error) {
    process.stderr.write(`SKIPPED: cannot mount a tmpfs at ${dir} (${(error as Error).message.split('\n')[0]}); this test needs root\n`);
    return undefined;
  }
}

/** Unmounts what mountTmpfs mounted (lazily: a file still open in it does not stop the test). */
export function unmountTmpfs(dir: string | undefined): void {
  if (dir) execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
}
