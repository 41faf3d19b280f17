import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exists, fsyncPath, placeWithoutReplacing, unlinkDurably, writeFileAtomic } from '../common/fs/durable-fs.js';
import path from 'node:path';
import { CliError } from './cli-error.js';

/** The object a download is of: what a `.partial` must be the start of to be continued. */
export interface DownloadedObject {
  archive: string;
  size: number;
  /** objectVersion: the S3 ETag, or a file's size and modification time. */
  version: string;
  /** Where it is, for people (never credentials). */
  location: string;
}

/** The sidecar's text: the object the `.partial` beside it holds the start of. */
interface PartialSidecar {
  format: 1;
  archive: string;
  size_bytes: number;
  version: string;
  location: string;
}

const FILE_MODE = 0o600;

/**
 * A download into `<output>.partial` that a later run continues: the sidecar `<output>.partial.json`
 * names the object (archive, size, version) the `.partial` is the start of, so only the same object is
 * continued. States, and what a kill -9 at any point leaves:
 *
 * - nothing: a fresh start.
 * - sidecar alone: written first, before the `.partial`'s first byte; the next run starts the `.partial` afresh.
 * - sidecar + `.partial`: the `.partial` holds the first bytes of the sidecar's object, in order (appended
 *   only); the next run continues from its length when the object is still the same, else starts again
 *   (the stale `.partial` is removed BEFORE the new sidecar is written, so a sidecar never vouches for
 *   bytes of another object).
 * - `.partial` without a sidecar: not this command's (the sidecar outlives its `.partial`): refused, left alone.
 * - complete: `output` made by a hard link (never replacing a file), then the `.partial` removed, then the sidecar.
 *
 * The SHA-256 of the whole file is computed on the way in (the bytes a resumed run already had are read once).
 */
export class PartialDownload {
  readonly partial: string;
  readonly sidecar: string;
  private written: number;

  private constructor(
    readonly output: string,
    /** Bytes the `.partial` already held, continued from. */
    readonly resumedFrom: number,
    /** Why a `.partial` that was there was started again, when it was. */
    readonly restarted: string | undefined,
    private readonly hash: Hash,
  ) {
    this.partial = PartialDownload.pathFor(output);
    this.sidecar = `${output}.partial.json`;
    this.written = resumedFrom;
  }

  /** The file the bytes of a download to `output` go to until it is checked. */
  static pathFor(output: string): string {
    return `${output}.partial`;
  }

  /** Refuses an existing `output`; continues a `.partial` of the same object, starts again over one of another (saying why). */
  static async prepare(output: string, object: DownloadedObject): Promise<PartialDownload> {
    const partial = PartialDownload.pathFor(output);
    const sidecar = `${output}.partial.json`;
    if (await exists(output)) {
      throw new CliError(`${output} exists: move it away or give another --output, then run this again (nothing was downloaded)`);
    }
    const held = await fsp.lstat(partial).catch(() => undefined);
    const recorded = await readSidecar(sidecar);
    if (held && !held.isFile()) throw new CliError(`${partial} exists and is not a file: move it away, then run this again`);
    if (held && !recorded) {
      throw new CliError(
        `${partial} exists but is not a download of sentinel-backup (no ${path.basename(sidecar)} beside it says what it holds): ` +
          'move it away, then run this again',
      );
    }
    const hash = createHash('sha256');
    if (held && recorded) {
      const different = difference(recorded, object, held.size);
      if (!different) {
        await hashFile(partial, hash);
        return new PartialDownload(output, held.size, undefined, hash);
      }
      // The stale bytes go first: the sidecar written next must never describe them.
      await unlinkDurably(partial);
      await writeSidecar(sidecar, object);
      return new PartialDownload(output, 0, `${path.basename(partial)} held ${different}, so it was started again`, hash);
    }
    await writeSidecar(sidecar, object);
    return new PartialDownload(output, 0, undefined, hash);
  }

  /** Bytes in the `.partial` so far. */
  get bytes(): number {
    return this.written;
  }

  /** SHA-256 (hex) of the `.partial`'s bytes; final once `append` has taken the whole object. */
  sha256(): string {
    return this.hash.copy().digest('hex');
  }

  /** Appends `body` to the `.partial`, hashing it, and makes it durable. */
  async append(body: Readable, signal: AbortSignal): Promise<void> {
    const hash = this.hash;
    const hashing = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        hash.update(chunk);
        this.written += chunk.length;
        callback(null, chunk);
      },
    });
    await pipeline(body, hashing, fs.createWriteStream(this.partial, { flags: 'a', mode: FILE_MODE }), { signal });
    await fsyncPath(this.partial);
  }

  /** The `.partial` becomes `output` (never replacing a file that appeared meanwhile), and the sidecar goes. */
  async complete(): Promise<void> {
    if (!(await placeWithoutReplacing(this.partial, this.output))) {
      throw new CliError(`${this.output} appeared while downloading: the download is kept in ${this.partial}; move one of them away`);
    }
    await fsyncPath(path.dirname(this.output));
    await unlinkDurably(this.sidecar);
  }

  /** A download that failed its checks: its bytes are not kept, so the next run downloads it whole. */
  async discard(): Promise<void> {
    await unlinkDurably(this.partial);
    await unlinkDurably(this.sidecar);
  }
}

/** What makes a `.partial` not the start of `object`, in words; undefined when it is. */
function difference(recorded: PartialSidecar, object: DownloadedObject, heldBytes: number): string | undefined {
  if (recorded.archive !== object.archive) return `the start of another backup (${recorded.archive})`;
  if (recorded.version !== object.version || recorded.size_bytes !== object.size) {
    return `the start of an earlier object of that name (${recorded.size_bytes} bytes, ${recorded.version}; the one stored now: ${object.size} bytes, ${object.version})`;
  }
  if (heldBytes > object.size) return `${heldBytes} bytes, more than the backup's ${object.size}`;
  return undefined;
}

async function readSidecar(file: string): Promise<PartialSidecar | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<PartialSidecar>;
    if (value.format === 1 && typeof value.archive === 'string' && typeof value.size_bytes === 'number' && typeof value.version === 'string') {
      return value as PartialSidecar;
    }
  } catch {
    // Not whole (it is written atomically, so someone else's): read as describing no object, which no download matches.
  }
  return { format: 1, archive: '(unreadable)', size_bytes: -1, version: '', location: '' };
}

async function writeSidecar(file: string, object: DownloadedObject): Promise<void> {
  const sidecar: PartialSidecar = { format: 1, archive: object.archive, size_bytes: object.size, version: object.version, location: object.location };
  await writeFileAtomic(file, `${JSON.stringify(sidecar, null, 2)}\n`);
}

async function hashFile(file: string, hash: Hash): Promise<void> {
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
}
