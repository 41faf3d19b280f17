import fs from 'node:fs';

/** What an errno means for DATA_DIR, in words, and what to do about it. */
function explain(code: string | undefined, dir: string): string {
  const uid = typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
  switch (code) {
    case 'EROFS':
      return `it is on a read-only file system. Remount it read-write, or set DATA_DIR to a folder on a writable disk`;
    case 'EACCES':
    case 'EPERM':
      return `the user running the service${uid} may not write there. Give that user write access (for example: chown -R <user> ${dir}; chmod 700 ${dir}), or set DATA_DIR to a folder it owns`;
    case 'ENOSPC':
      return 'the disk is full. Free up space there';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'it is a file, not a folder. Set DATA_DIR to a folder';
    default:
      return `${code ?? 'unknown error'}. Check the folder, or set DATA_DIR to another one`;
  }
}

/**
 * Checked once before anything else at start: the service writes DATA_DIR at once (its installation
 * id, the master key file, the databases, a restore's staging folder) and, without this, the user
 * would meet a raw EROFS from whichever of them came first, or a 500 later. access(2) answers for
 * the process's own user and knows about read-only mounts, and it leaves no probe file behind.
 */
export function assertDataDirWritable(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new Error(`DATA_DIR ${dir} cannot be created: ${explain((error as NodeJS.ErrnoException).code, dir)}`, { cause: error });
  }
  try {
    if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    throw new Error(`DATA_DIR ${dir} is not writable: ${explain((error as NodeJS.ErrnoException).code, dir)}. The service keeps its databases there`, {
      cause: error,
    });
  }
}
