import fs from 'node:fs';
import path from 'node:path';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';

/**
 * How long one file-system probe (statfs, mkdir, a probe file's write, read or delete) may take. A
 * folder on a hung network mount blocks a libuv thread for minutes; the request must answer anyway.
 */
export const FS_PROBE_TIMEOUT_MS = 10_000;

/** File systems that are views of the kernel, not disks (statfs f_type): backups there are lost or hang. */
const PSEUDO_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x62656570, 'configfs'],
  [0xcafe4a11, 'bpf'],
]);

/**
 * `work`, or a StorageTimeout naming what did not answer, after `ms`. The system call itself cannot be
 * cancelled; it finishes (or not) in the background while the caller gets its answer.
 */
export async function bounded<T>(what: string, dir: string, work: Promise<T>, ms = FS_PROBE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DomainError(
            ErrorCode.StorageTimeout,
            `${what} in ${dir} did not answer within ${Math.round(ms / 1000)} s: the folder may be on a network share that hangs or on a file system that is not a disk. Choose a folder on a local disk`,
            { path: dir, timeout_ms: ms },
          ),
        ),
      ms,
    );
  });
  // A late rejection of the abandoned work must not become an unhandled rejection.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The folder itself, or its nearest parent that exists. */
export async function nearestExisting(dir: string): Promise<string> {
  let probe = path.resolve(dir);
  for (;;) {
    const found = await fs.promises.lstat(probe).then(
      () => true,
      () => false,
    );
    if (found || path.dirname(probe) === probe) return probe;
    probe = path.dirname(probe);
  }
}

/** The name of the pseudo file system `dir` (or its nearest existing parent) is on; undefined for a real one. */
export async function pseudoFileSystemOf(dir: string): Promise<string | undefined> {
  const probe = await nearestExisting(dir);
  const stats = await bounded('Reading the file system', probe, fs.promises.statfs(probe));
  return PSEUDO_FILESYSTEMS.get(Number(stats.type));
}

/** Refuses a folder on a pseudo file system (under /proc, /sys, ...) with what to do. */
export async function assertOnDisk(dir: string, setting = 'the folder'): Promise<void> {
  const pseudo = await pseudoFileSystemOf(dir);
  if (pseudo) {
    throw new DomainError(
      ErrorCode.StorageNotConfigured,
      `${dir} is on the ${pseudo} file system, a view of the kernel's state, not a disk: nothing can be stored there. Point ${setting} at a folder on a disk`,
      { path: dir, filesystem: pseudo },
    );
  }
}

/**
 * mkdir -p, one component at a time and each bounded in time (Node's recursive mkdir loops forever
 * under /proc). Returns true when it created the folder. Errors are the file system's own (ENOTDIR,
 * EACCES, ...), for the caller to put into words.
 */
export async function makeFolder(dir: string, mode = 0o700): Promise<boolean> {
  const target = path.resolve(dir);
  const existing = await bounded('Looking up the folder', target, nearestExisting(target));
  if (existing === target) {
    const stat = await bounded('Looking up the folder', target, fs.promises.stat(target));
    if (!stat.isDirectory()) throw Object.assign(new Error(`ENOTDIR: ${target} is not a folder`), { code: 'ENOTDIR', path: target });
    return false;
  }
  const rest = path.relative(existing, target).split(path.sep);
  let current = existing;
  for (const part of rest) {
    current = path.join(current, part);
    await bounded('Creating the folder', current, fs.promises.mkdir(current, { mode })).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  return true;
}
