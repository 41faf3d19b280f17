import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The lock file's name in DATA_DIR. Every helper file of the lock starts with it too (see PREFIX). */
export const LOCK_FILENAME = '.service.lock';
const PREFIX = `${LOCK_FILENAME}.`;
const CANDIDATE_SUFFIX = '.candidate';
const CLAIM_INFIX = 'claim-';
/** How often a start retries while another starter is half-way through taking over a stale lock. */
const ATTEMPTS = 40;
const RETRY_MS = 25;

/** What the lock file holds: who holds DATA_DIR, told apart from a later process that got the same pid. */
export interface LockHolder {
  service: 'sentinel-backup';
  pid: number;
  /** /proc/<pid>/stat field 22 (clock ticks since boot): with the pid, it names one process even after pid reuse. */
  process_start_ticks: number | null;
  /** The same start, as a time for people. */
  process_started_at: string | null;
  hostname: string;
  locked_at: string;
  data_dir: string;
  /** Unique per lock generation: a takeover replaces exactly the stale generation it inspected. */
  nonce: string;
  /**
   * A command line holding DATA_DIR rather than the service (`backup`: `sentinel-backup backup`), so a
   * service refused meanwhile says what holds it and that it ends by itself. Absent for the service.
   */
  command?: string;
}

/** DATA_DIR is held by another service, or its lock cannot be judged: the start is refused with this one line. */
export class DataDirLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirLockError';
  }
}

/** Linux's USER_HZ: /proc reports start times in these ticks (100 on every architecture Node runs on). */
const TICKS_PER_SECOND = 100;

interface ProcessIdentity {
  startTicks: number | null;
  zombie: boolean;
}

/** Reads field 22 (starttime) and field 3 (state) of /proc/<pid>/stat; undefined when the process does not exist. */
function readProcess(pid: number): ProcessIdentity | undefined | 'unknown' {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fs.existsSync('/proc/self/stat') ? undefined : 'unknown';
    return 'unknown';
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  return { startTicks: Number.isFinite(startTicks) ? startTicks : null, zombie: fields[0] === 'Z' };
}

function bootTimeMs(): number | undefined {
  try {
    const line = fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('btime '));
    return line ? Number(line.slice(6)) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One line for people: "pid 123 (started 2026-12-01T16:00:00.000Z) on host h". */
export function describeHolder(holder: LockHolder): string {
  if (holder.command)
    return `\`sentinel-backup ${holder.command}\`, pid ${holder.pid} (started ${holder.process_started_at ?? 'at an unknown time'}) on host ${holder.hostname}`;
  return `pid ${holder.pid} (started ${holder.process_started_at ?? 'at an unknown time'}) on host ${holder.hostname}`;
}

type Verdict = 'running' | 'this-process' | 'other-host' | 'gone';

/**
 * Whether the holder still runs. A pid alone is not enough: after a kill -9 and a reboot or a busy
 * day, another process can have the same pid, so the start time must match too. On another host
 * (DATA_DIR on a network file system) nothing can be checked from here.
 */
function judge(holder: LockHolder, self: LockHolder): Verdict {
  if (holder.hostname !== self.hostname) return 'other-host';
  if (holder.pid === self.pid && holder.process_start_ticks === self.process_start_ticks) return 'this-process';
  const proc = readProcess(holder.pid);
  if (proc === undefined) return 'gone';
  if (proc === 'unknown') return isAlive(holder.pid) ? 'running' : 'gone';
  if (proc.zombie) return 'gone';
  if (holder.process_start_ticks !== null && proc.startTicks !== null && proc.startTicks !== holder.process_start_ticks) return 'gone';
  return 'running';
}

function readHolder(file: string): LockHolder | undefined | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return 'unreadable';
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (holder?.service !== 'sentinel-backup' || !Number.isInteger(holder.pid) || typeof holder.nonce !== 'string' || !/^[0-9a-f-]{36}$/.test(holder.nonce))
      return 'unreadable';
    return holder;
  } catch {
    return 'unreadable';
  }
}

/** link(2) fails with EEXIST when the name exists: the one atomic "create if absent" that also works on NFS. */
function linkExclusive(from: string, to: string): boolean {
  try {
    fs.linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on a directory; the lock still works, it is only less durable.
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * One service per DATA_DIR: a lock file, `DATA_DIR/.service.lock`, held from before anything reads
 * DATA_DIR until the service has stopped.
 *
 * Taking it: the holder's record (pid, process start time, host, time, a nonce) is written to a
 * candidate file and fsynced, then hard-linked to the lock's name. link(2) is atomic and fails when
 * the name exists, so of two starters exactly one wins, and a reader never sees a half-written lock.
 *
 * Taking over a stale lock (holder gone after a kill -9 or a power cut): replacing a file only if it
 * still holds what was inspected has no system call, so a takeover first claims the right to succeed
 * that exact generation: link(candidate, `.service.lock.claim-<stale nonce>`), which one starter wins.
 * The winner reads the lock again: if it still holds the stale nonce, nobody else can change it (only
 * the claim's holder may, and the stale holder is dead), so it renames the claim over the lock. If the
 * lock changed meanwhile, the winner drops its claim and starts over. A claimer that died half-way is
 * succeeded the same way, by claiming its nonce. No window exists in which two starters both win.
 *
 * On another host the holder's liveness cannot be checked, so the start is refused, never taken over.
 */
export class DataDirLock {
  private released = false;

  private constructor(
    readonly file: string,
    readonly holder: LockHolder,
    /** The stale holder this lock was taken over from, for the start's log line. */
    readonly tookOverFrom: LockHolder | undefined,
  ) {}

  /**
   * Takes the lock of `dataDir` (created when missing), or throws DataDirLockError naming the holder and what to do.
   * `command`: a command line's, recorded in the lock (LockHolder.command).
   */
  static acquire(dataDir: string, options: { command?: string } = {}): DataDirLock {
    const file = path.join(dataDir, LOCK_FILENAME);
    try {
      fs.mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      throw new DataDirLockError(
        `Cannot create DATA_DIR ${dataDir}: ${(error as Error).message}. Create it, or point DATA_DIR at a folder the service's user can write`,
      );
    }
    const self: LockHolder = { ...DataDirLock.identity(dataDir), ...(options.command ? { command: options.command } : {}) };
    const candidate = path.join(dataDir, `${PREFIX}${self.nonce}${CANDIDATE_SUFFIX}`);
    try {
      const fd = fs.openSync(candidate, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
      try {
        fs.writeSync(fd, `${JSON.stringify(self, null, 2)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (error) {
      fs.rmSync(candidate, { force: true });
      throw new DataDirLockError(
        `Cannot write the lock file in DATA_DIR ${dataDir}: ${(error as Error).message}. Make the folder writable by the service's user, or point DATA_DIR elsewhere`,
      );
    }
    try {
      const tookOverFrom = DataDirLock.take(file, candidate, self);
      fsyncDir(dataDir);
      const lock = new DataDirLock(file, self, tookOverFrom);
      lock.sweepLeftovers();
      return lock;
    } finally {
      fs.rmSync(candidate, { force: true });
    }
  }

  /**
   * Who holds `dataDir`'s lock, without taking it or changing anything (a status report, a command line
   * that must refuse while a service runs): `running` is true while the holder runs, false for a stale
   * lock of a process that is gone, null when that cannot be told from here (another host). Undefined
   * when there is no lock; 'unreadable' when the file cannot be read as a lock.
   */
  static inspect(dataDir: string): { holder: LockHolder; running: boolean | null } | 'unreadable' | undefined {
    const holder = readHolder(path.join(dataDir, LOCK_FILENAME));
    if (holder === undefined || holder === 'unreadable') return holder;
    const verdict = judge(holder, DataDirLock.identity(dataDir));
    return { holder, running: verdict === 'other-host' ? null : verdict !== 'gone' };
  }

  /** Returns the stale holder taken over from, or undefined for a free lock. */
  private static take(file: string, candidate: string, self: LockHolder): LockHolder | undefined {
    let busyClaimer: LockHolder | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) sleepSync(RETRY_MS);
      if (linkExclusive(candidate, file)) return undefined;
      const holder = readHolder(file);
      if (holder === undefined) continue; // released just now: try again
      if (holder === 'unreadable') {
        throw new DataDirLockError(
          `The lock file ${file} cannot be read, so whether another service uses DATA_DIR ${self.data_dir} is unknown. ` +
            'Make sure no Sentinel Backup service runs on this DATA_DIR, delete the file, and start again',
        );
      }
      const verdict = judge(holder, self);
      if (verdict !== 'gone') throw DataDirLock.refusal(file, holder, verdict, self);
      const outcome = DataDirLock.succeed(file, candidate, holder, self);
      if (outcome === 'won') return holder;
      if (outcome !== 'lost') busyClaimer = outcome;
    }
    throw new DataDirLockError(
      `Could not take the lock ${file}: another start is taking over the stale lock of DATA_DIR ${self.data_dir} right now` +
        (busyClaimer ? ` (${describeHolder(busyClaimer)})` : '') +
        '. Only one service may use a DATA_DIR: stop the other start, or use another DATA_DIR',
    );
  }

  /**
   * Tries to replace the stale generation `stale` with `candidate`. 'won', 'lost' (the lock changed:
   * look again), or the live claimer currently succeeding it (look again shortly).
   */
  private static succeed(file: string, candidate: string, stale: LockHolder, self: LockHolder): 'won' | 'lost' | LockHolder {
    const deadClaims: string[] = [];
    let nonce = stale.nonce;
    for (let depth = 0; depth < ATTEMPTS; depth++) {
      const claim = path.join(path.dirname(file), `${PREFIX}${CLAIM_INFIX}${nonce}`);
      if (linkExclusive(candidate, claim)) {
        const now = readHolder(file);
        if (now !== undefined && now !== 'unreadable' && now.nonce === stale.nonce) {
          fs.renameSync(claim, file);
          for (const dead of deadClaims) fs.rmSync(dead, { force: true });
          return 'won';
        }
        fs.rmSync(claim, { force: true });
        return 'lost';
      }
      const claimer = readHolder(claim);
      if (claimer === undefined) continue; // its claimer finished or gave up: try the same claim again
      if (claimer === 'unreadable') return 'lost';
      if (judge(claimer, self) !== 'gone') return claimer;
      // The claimer died half-way: succeed it by claiming its own nonce.
      deadClaims.push(claim);
      nonce = claimer.nonce;
    }
    return 'lost';
  }

  private static refusal(file: string, holder: LockHolder, verdict: Verdict, self: LockHolder): DataDirLockError {
    const since = `, lock taken ${holder.locked_at}`;
    if (verdict === 'other-host') {
      return new DataDirLockError(
        `DATA_DIR ${self.data_dir} is in use by the Sentinel Backup service ${describeHolder(holder)}${since}; this is host ${self.hostname}. ` +
          `Only one service may use a DATA_DIR (a shared folder on a network file system included): stop that service, or use another DATA_DIR. ` +
          `If it no longer runs there (the host was renamed or is gone), delete ${file} and start again`,
      );
    }
    const who = verdict === 'this-process' ? `this process, ${describeHolder(holder)}` : `the Sentinel Backup service ${describeHolder(holder)}`;
    if (holder.command && verdict !== 'this-process') {
      return new DataDirLockError(
        `DATA_DIR ${self.data_dir} is in use by the command ${describeHolder(holder)}${since}; it releases DATA_DIR when it ends. ` +
          `Wait for it to finish (or stop it: kill -TERM ${holder.pid}), then start again`,
      );
    }
    return new DataDirLockError(
      `DATA_DIR ${self.data_dir} is in use by ${who}${since}. Only one service may use a DATA_DIR: stop that service first (kill -TERM ${holder.pid}), or give this one another DATA_DIR`,
    );
  }

  private static identity(dataDir: string): LockHolder {
    const proc = readProcess(process.pid);
    const startTicks = proc && proc !== 'unknown' ? proc.startTicks : null;
    const boot = bootTimeMs();
    return {
      service: 'sentinel-backup',
      pid: process.pid,
      process_start_ticks: startTicks,
      process_started_at: startTicks !== null && boot !== undefined ? new Date(boot + (startTicks * 1000) / TICKS_PER_SECOND).toISOString() : null,
      hostname: os.hostname(),
      locked_at: new Date().toISOString(),
      data_dir: dataDir,
      nonce: randomUUID(),
    };
  }

  /**
   * Candidates and claims left by a start that was killed half-way: only names with the lock's prefix
   * whose content is a lock record of a process that is gone (nothing else is the lock's to delete).
   */
  private sweepLeftovers(): void {
    const dir = path.dirname(this.file);
    for (const name of fs.readdirSync(dir)) {
      if (!name.startsWith(PREFIX)) continue;
      const file = path.join(dir, name);
      const holder = readHolder(file);
      if (holder === undefined || holder === 'unreadable' || holder.nonce === this.holder.nonce) continue;
      if (judge(holder, this.holder) === 'gone') fs.rmSync(file, { force: true });
    }
  }

  get isHeld(): boolean {
    return !this.released;
  }

  /**
   * Removes the lock, if it is still this holder's. Synchronous, so it can run just before process.exit.
   * Idempotent. A kill -9 cannot run it: the next start then finds the lock stale and takes it over.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    const current = readHolder(this.file);
    if (current !== undefined && current !== 'unreadable' && current.nonce === this.holder.nonce) fs.rmSync(this.file, { force: true });
  }
}
