import type { Logger } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { removeStaleAtomicTemps, writeFileAtomic } from './durable-fs.js';

/**
 * A small JSON file in DATA_DIR that one store owns (one service per DATA_DIR, so no other writer exists):
 * read once, each new value visible to readers at once, then written with the durable atomic write
 * (fsynced before and after the rename), one write after another, so neither a crash nor a power cut
 * leaves half a file or loses a value already reported.
 */
export class DurableJsonFile<T> {
  private value: T | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    /** "the verification results": how log lines name the file's content. */
    private readonly description: string,
    private readonly logger: Logger,
    /** The value from the parsed JSON, or from undefined when there is no file or it is damaged. */
    private readonly parse: (json: unknown) => T,
  ) {}

  /** At start-up, before anything writes the file: the temp files of a write a crash interrupted. */
  async removeLeftovers(): Promise<void> {
    const { removed, notFiles } = await removeStaleAtomicTemps(this.file);
    for (const temp of removed) this.logger.warn(`Removed ${temp}, left by an interrupted write of ${this.description}`);
    for (const temp of notFiles) this.logger.warn(`Left ${temp} alone: it is named like a temporary file of ${this.description} but is not a file`);
  }

  get(): T {
    return (this.value ??= this.read());
  }

  /**
   * Reads the file now, for an owner that calls it at start-up: a file that exists but cannot be read (a
   * folder in its place, no permission) then stops the start with an Error naming it and what to do,
   * instead of failing every later get().
   */
  load(): void {
    this.get();
  }

  /** Replaces the value: at once for readers, then on disk. Resolves once the file holds it. */
  async set(value: T): Promise<void> {
    this.value = value;
    const content = `${JSON.stringify(value, null, 2)}\n`;
    const write = this.writing.then(async () => {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, content);
    });
    this.writing = write.catch(() => undefined);
    await write;
  }

  /**
   * Resolves when every write started so far has ended. The owner calls it when the app closes: an in-process
   * restart is the same process, so the next start's clean-up of `<file>.tmp-<pid>` would otherwise delete
   * the temp file of a write still under way, and that value would be lost.
   */
  flush(): Promise<void> {
    return this.writing;
  }

  private read(): T {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return this.parse(undefined);
      throw new Error(`${this.file} (${this.description}) cannot be read: ${unreadable(code)}`, { cause: error });
    }
    try {
      return this.parse(JSON.parse(text));
    } catch {
      this.logger.warn(`Ignoring ${this.file}: it is not valid JSON; the next change of ${this.description} replaces it`);
      return this.parse(undefined);
    }
  }
}

/** Why a file cannot be read, in words, and what to do (moving it away loses only what it holds). */
function unreadable(code: string | undefined): string {
  const moveAway = 'or move it out of DATA_DIR (the service then starts without what it held and writes a new one)';
  switch (code) {
    case 'EISDIR':
      return `it is a folder, not a file. Move that folder out of DATA_DIR (the service then writes a new file)`;
    case 'EACCES':
    case 'EPERM':
      return `the user running the service may not read it. Give that user read and write access to it, ${moveAway}`;
    default:
      return `${code ?? 'unknown error'}. Check the file and its disk, ${moveAway}`;
  }
}
