import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseBackupName } from '../archive-format/backup-filename.js';
import { BACKUP_TARGET_PATTERN, type BackupTarget } from '../common/backup-target.js';
import { fsyncPath, writeFileAtomic } from '../common/fs/durable-fs.js';
import type { NeedsFullReason } from './needs-full-reason.js';
import { HASHES_FILE_PATTERN, PAGE_INDEX_FORMAT, type PageIndex, type PageIndexDatabase } from './page-index.js';

/** A database of the next index: `hashes` is a snapshot's hashes file, or the current index's (kept as it is). */
export interface PageIndexUpdateDatabase extends Omit<PageIndexDatabase, 'hashes_file'> {
  hashes: string;
}

export interface PageIndexUpdate extends Omit<PageIndex, 'format' | 'databases'> {
  databases: PageIndexUpdateDatabase[];
}

export type PageIndexRead = { usable: true; index: PageIndex; folder: string } | { usable: false; reason: NeedsFullReason };

/** The steps of write(), in order: a test's `afterStep` hook throws at one to leave the files as a kill there would. */
export type PageIndexWriteStep = 'hash-files-written' | 'chain-written' | 'superseded-removed';

export const PAGE_INDEX_FOLDER = '.incremental';
const CHAIN_FILE = 'chain.json';
const HASH_BYTES = 32;

/**
 * The page index of each target, in `DATA_DIR/.incremental/<target>/` (docs/incremental-backups.md, "The page
 * index"). write() is crash-safe: the new hash files are written under new names and fsynced, then chain.json
 * is replaced by a durable atomic rename, then the hash files no longer named are removed; a kill at any point
 * leaves chain.json naming files that exist (the old set or the new one). read() never throws for what a crash,
 * a lost folder or a hand edit can leave: it answers why the index cannot be used, and the caller makes a
 * full backup instead (a lost index costs one full read, never a wrong backup).
 */
export class PageIndexStore {
  constructor(
    private readonly dataDir: string,
    private readonly afterStep?: (step: PageIndexWriteStep) => void,
  ) {}

  folderOf(target: BackupTarget): string {
    if (!BACKUP_TARGET_PATTERN.test(target)) throw new Error(`'${target}' is not a target id ([a-z0-9-], 1 to 32 characters)`);
    return path.join(this.dataDir, PAGE_INDEX_FOLDER, target);
  }

  async read(target: BackupTarget): Promise<PageIndexRead> {
    const folder = this.folderOf(target);
    const file = path.join(folder, CHAIN_FILE);
    let text: string;
    try {
      text = await fs.promises.readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        const why = "(the target's first incremental backup, or the folder was lost); making a full backup";
        return unusable('index-missing', `No page index at ${file} ${why}`, `No page index ${why}`);
      }
      const what = code ?? (error as Error).message.replaceAll(file, 'chain.json');
      return unusable('index-unreadable', `The page index ${file} cannot be read (${what}); making a full backup`, unreadable(what));
    }
    let index: PageIndex;
    try {
      index = JSON.parse(text) as PageIndex;
    } catch {
      const what = 'is not valid JSON';
      return unusable('index-unreadable', `The page index ${file} ${what}; making a full backup, which writes a new one`, unreadable(`it ${what}`));
    }
    const problem = indexProblem(index);
    if (problem)
      return unusable('index-unreadable', `The page index ${file} ${problem}; making a full backup, which writes a new one`, unreadable(`it ${problem}`));
    for (const db of index.databases) {
      const hashes = path.join(folder, db.hashes_file);
      const expected = db.page_count * HASH_BYTES;
      let size: number;
      try {
        size = (await fs.promises.stat(hashes)).size;
      } catch {
        const message = `The page index names ${hashes} for database ${db.name}, and it is not there; making a full backup`;
        return unusable('hash-file-missing', message, unreadable(`the page hashes of database ${db.name} are missing`));
      }
      if (size !== expected) {
        const what = `hold ${size} bytes, not the ${expected} of its ${db.page_count} pages`;
        const message = `The page hashes ${hashes} of database ${db.name} ${what}; making a full backup`;
        return unusable('hash-file-wrong-length', message, unreadable(`the page hashes of database ${db.name} ${what}`));
      }
    }
    return { usable: true, index, folder };
  }

  /**
   * Makes `update` the target's index, once the archive it describes is stored and recorded. Hash files from
   * elsewhere (a snapshot's) are copied in under new names; one already in the folder is kept as it is.
   */
  async write(target: BackupTarget, update: PageIndexUpdate): Promise<void> {
    const folder = this.folderOf(target);
    await mkdirDurably(folder);
    const stamp = `${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
    const databases: PageIndexDatabase[] = [];
    for (const { hashes, ...db } of update.databases) {
      if (path.dirname(path.resolve(hashes)) === path.resolve(folder) && HASHES_FILE_PATTERN.test(path.basename(hashes))) {
        databases.push({ ...db, hashes_file: path.basename(hashes) });
        continue;
      }
      const name = `${db.name}.${stamp}.hashes`;
      await fs.promises.copyFile(hashes, path.join(folder, name), fs.constants.COPYFILE_EXCL);
      await fsyncPath(path.join(folder, name));
      databases.push({ ...db, hashes_file: name });
    }
    await fsyncPath(folder);
    this.afterStep?.('hash-files-written');
    const index: PageIndex = { format: PAGE_INDEX_FORMAT, ...update, databases };
    const problem = indexProblem(index);
    if (problem) throw new Error(`The page index for target ${target} was not written: it ${problem}`);
    await writeFileAtomic(path.join(folder, CHAIN_FILE), `${JSON.stringify(index, null, 2)}\n`);
    this.afterStep?.('chain-written');
    await this.removeUnnamedHashFiles(folder, new Set(databases.map((db) => db.hashes_file)));
    this.afterStep?.('superseded-removed');
  }

  /**
   * Hash files that chain.json does not name: superseded ones, and new ones a kill left before chain.json named
   * them. Only regular files named as this store names them are removed (the folder is the store's own).
   */
  private async removeUnnamedHashFiles(folder: string, named: Set<string>): Promise<void> {
    let removed = false;
    for (const entry of await fs.promises.readdir(folder, { withFileTypes: true })) {
      if (!entry.isFile() || named.has(entry.name) || !HASHES_FILE_PATTERN.test(entry.name)) continue;
      await fs.promises.rm(path.join(folder, entry.name), { force: true });
      removed = true;
    }
    if (removed) await fsyncPath(folder);
  }
}

/** `message` names the files, for the log; `summary` says the same without the server's paths, for the API. */
function unusable(code: NeedsFullReason['code'], message: string, summary: string): PageIndexRead {
  return { usable: false, reason: { code, message, summary } };
}

function unreadable(what: string): string {
  return `The page index could not be read: ${what}; making a full backup, which writes a new one`;
}

/** What is wrong with a parsed chain.json, in words that follow "The page index <file>", or undefined. */
function indexProblem(index: PageIndex): string | undefined {
  if (typeof index !== 'object' || index === null || Array.isArray(index)) return 'is not a JSON object';
  if (index.format !== PAGE_INDEX_FORMAT) return `has format ${JSON.stringify(index.format)}, not the ${PAGE_INDEX_FORMAT} this version writes`;
  if (typeof index.base !== 'string' || parseBackupName(index.base)?.kind !== 'full') return 'does not name its full backup ("base")';
  if (typeof index.last !== 'string' || !parseBackupName(index.last)) return 'does not name its newest point ("last")';
  for (const key of ['base_size', 'increments', 'increments_bytes'] as const) {
    if (!Number.isSafeInteger(index[key]) || index[key] < 0) return `has no whole number "${key}"`;
  }
  if (!Array.isArray(index.databases) || index.databases.length === 0) return 'lists no databases';
  const names = new Set<string>();
  for (const db of index.databases as unknown[]) {
    const d = db as PageIndexDatabase;
    if (typeof d !== 'object' || d === null || typeof d.name !== 'string') return 'lists a database without a name';
    if (names.has(d.name)) return `lists database ${d.name} twice`;
    names.add(d.name);
    if (!Number.isInteger(d.page_size) || d.page_size < 512 || d.page_size > 65536) return `has no valid page_size for database ${d.name}`;
    if (!Number.isSafeInteger(d.page_count) || d.page_count < 1) return `has no valid page_count for database ${d.name}`;
    if (typeof d.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(d.sha256)) return `has no valid sha256 for database ${d.name}`;
    const file = typeof d.hashes_file === 'string' ? HASHES_FILE_PATTERN.exec(d.hashes_file) : null;
    if (!file || file[1] !== d.name) return `has no valid hashes_file for database ${d.name}`;
  }
  return undefined;
}

/** mkdir -p, with each folder it creates fsynced into its parent, so the index's folder survives a power cut. */
async function mkdirDurably(folder: string): Promise<void> {
  const first = await fs.promises.mkdir(folder, { recursive: true });
  if (first === undefined) return;
  for (let dir = folder; ; dir = path.dirname(dir)) {
    await fsyncPath(path.dirname(dir));
    if (dir === first) break;
  }
}
