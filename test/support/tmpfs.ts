import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

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

/** Fills the disk until it refuses a byte more; the function it returns frees that space again. */
export function fillDisk(dir: string): () => void {
  const files: string[] = [];
  for (const size of [65_536, 4096, 512]) {
    for (;;) {
      const file = path.join(dir, `fill-${files.length}`);
      try {
        fs.writeFileSync(file, Buffer.alloc(size, 1));
        files.push(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        fs.rmSync(file, { force: true });
        break;
      }
    }
  }
  return () => files.forEach((file) => fs.rmSync(file, { force: true }));
}
