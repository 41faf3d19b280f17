import fs from 'node:fs';
import path from 'node:path';

/**
 * Small file-system steps that survive a crash or a power cut: data is fsynced before it is renamed
 * into place, and the directory is fsynced after a rename or unlink so the change itself is durable.
 */

export async function fsyncPath(target: string): Promise<void> {
  const handle = await fs.promises.open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The temporary file an atomic write of `file` goes through (removeStaleAtomicTemps knows the pattern). */
export function atomicTempName(file: string): string {
  return `${file}.tmp-${process.pid}`;
}

/**
 * Removes what atomic writes of `file` left when a process died between the write and the rename:
 * `<file>.tmp-<pid>` beside it, regular files of exactly that name only (anything else of that name,
 * a folder say, is not ours to delete and is returned in `notFiles`). The owner of each such file calls
 * it at start-up, before anything writes the file (one service per DATA_DIR, so no other writer exists).
 */
export async function removeStaleAtomicTemps(file: string): Promise<{ removed: string[]; notFiles: string[] }> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.tmp-`;
  const removed: string[] = [];
  const notFiles: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { removed, notFiles };
    throw error;
  }
  for (const entry of entries) {
    if (!entry.name.startsWith(prefix) || !/^\d+$/.test(entry.name.slice(prefix.length))) continue;
    const temp = path.join(dir, entry.name);
    if (!entry.isFile()) {
      notFiles.push(temp);
      continue;
    }
    await fs.promises.rm(temp, { force: true });
    removed.push(temp);
  }
  return { removed, notFiles };
}

/**
 * Writes `content` to `file` atomically and durably: a reader (or the next start after a power cut)
 * sees the old file or the new one, never a part: temp file, fsync, rename, fsync of the folder.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = atomicTempName(file);
  try {
    const handle = await fs.promises.open(temp, 'w', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, file);
  } catch (error) {
    await fs.promises.rm(temp, { force: true });
    throw error;
  }
  await fsyncPath(path.dirname(file));
}

/**
 * Gives the finished `temp` the name `final` without ever replacing a file there (rename would, silently):
 * a hard link fails with EEXIST when the name is taken, atomically, then the temporary name goes. A file
 * system without hard links (FAT on a USB disk, some network shares) gets a check right before a rename,
 * which leaves a window of one system call between two writers of the same name. False, with `temp`
 * left as it was, when `final` exists.
 */
export async function placeWithoutReplacing(temp: string, final: string): Promise<boolean> {
  try {
    await fs.promises.link(temp, final);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    if (await exists(final)) return false;
    await fs.promises.rename(temp, final);
    return true;
  }
  await fs.promises.unlink(temp);
  return true;
}

/** Removes a file if it exists and makes the removal durable; true when something was removed. */
export async function unlinkDurably(file: string): Promise<boolean> {
  try {
    await fs.promises.unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  await fsyncPath(path.dirname(file));
  return true;
}

export async function exists(target: string): Promise<boolean> {
  try {
    await fs.promises.lstat(target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Size of a regular file, 0 when it does not exist. */
export async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.promises.stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** Copies a file and fsyncs the copy (`dest` must not exist). */
export async function copyFileDurably(source: string, dest: string): Promise<void> {
  await fs.promises.copyFile(source, dest, fs.constants.COPYFILE_EXCL);
  await fsyncPath(dest);
}
