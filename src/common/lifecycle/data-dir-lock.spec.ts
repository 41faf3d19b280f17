import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirLock, DataDirLockError, LOCK_FILENAME, type LockHolder } from './data-dir-lock.js';

/** Real files in a temp folder and real processes: the lock's whole point is what other processes see. */
describe('DataDirLock', () => {
  let dir: string;
  const children: ChildProcess[] = [];

  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-lock-unit-'))));
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const lockFile = () => path.join(dir, LOCK_FILENAME);
  const files = () => fs.readdirSync(dir).sort();

  function startTicks(pid: number): number {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  }

  function record(pid: number, ticks: number, nonce: string, overrides: Partial<LockHolder> = {}): LockHolder {
    return {
      service: 'sentinel-backup',
      pid,
      process_start_ticks: ticks,
      process_started_at: '2026-11-30T10:00:00.000Z',
      hostname: os.hostname(),
      locked_at: '2026-11-30T10:00:01.000Z',
      data_dir: dir,
      nonce,
      ...overrides,
    };
  }

  /** A process that is alive while the test runs. */
  function liveProcess(): { pid: number; ticks: number } {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(child);
    return { pid: child.pid!, ticks: startTicks(child.pid!) };
  }

  /** A process that ran and is gone (its pid and start time, as a lock left by a kill -9 records them). */
  async function deadProcess(): Promise<{ pid: number; ticks: number }> {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const ticks = startTicks(child.pid!);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    return { pid: child.pid!, ticks };
  }

  const NONCE_A = '00000000-0000-4000-8000-00000000000a';
  const NONCE_B = '00000000-0000-4000-8000-00000000000b';

  it('takes a free lock with this process identity, refuses a second holder in the same process, and releases', () => {
    const lock = DataDirLock.acquire(dir);
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).toMatchObject({
      pid: process.pid,
      process_start_ticks: startTicks(process.pid),
      hostname: os.hostname(),
      data_dir: dir,
    });
    expect(lock.tookOverFrom).toBeUndefined();
    expect(files()).toEqual([LOCK_FILENAME]); // the candidate is gone

    expect(() => DataDirLock.acquire(dir)).toThrow(new RegExp(`^DATA_DIR .* is in use by this process, pid ${process.pid} \\(started \\d{4}-.*\\)`));
    lock.release();
    expect(files()).toEqual([]);
    DataDirLock.acquire(dir).release();
  });

  it('refuses while the holder runs (same pid and start time)', () => {
    const live = liveProcess();
    fs.writeFileSync(lockFile(), JSON.stringify(record(live.pid, live.ticks, NONCE_A)));
    expect(() => DataDirLock.acquire(dir)).toThrow(DataDirLockError);
    expect(() => DataDirLock.acquire(dir)).toThrow(
      `is in use by the Sentinel Backup service pid ${live.pid} (started 2026-11-30T10:00:00.000Z) on host ${os.hostname()}`,
    );
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).nonce).toBe(NONCE_A);
    expect(files()).toEqual([LOCK_FILENAME]);
  });

  it("records a command line's lock as such, and a start refused by it names the command and says it ends by itself", () => {
    const lock = DataDirLock.acquire(dir, { command: 'backup' });
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, command: 'backup' });
    lock.release();
    const live = liveProcess();
    fs.writeFileSync(lockFile(), JSON.stringify(record(live.pid, live.ticks, NONCE_A, { command: 'backup' })));
    expect(() => DataDirLock.acquire(dir)).toThrow(
      new RegExp(`is in use by the command \`sentinel-backup backup\`, pid ${live.pid} .*it releases DATA_DIR when it ends\\. Wait for it to finish`),
    );
    expect(DataDirLock.inspect(dir)).toMatchObject({ running: true, holder: { command: 'backup' } });
  });

  it('takes over the lock of a process that is gone, and reports whose it was', async () => {
    const dead = await deadProcess();
    fs.writeFileSync(lockFile(), JSON.stringify(record(dead.pid, dead.ticks, NONCE_A)));
    const lock = DataDirLock.acquire(dir);
    expect(lock.tookOverFrom).toMatchObject({ pid: dead.pid, nonce: NONCE_A });
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
    expect(files()).toEqual([LOCK_FILENAME]);
    lock.release();
  });

  it('succeeds a claimer that died half-way through its takeover, and removes its claim', async () => {
    const dead = await deadProcess();
    const deadClaimer = await deadProcess();
    fs.writeFileSync(lockFile(), JSON.stringify(record(dead.pid, dead.ticks, NONCE_A)));
    fs.writeFileSync(path.join(dir, `${LOCK_FILENAME}.claim-${NONCE_A}`), JSON.stringify(record(deadClaimer.pid, deadClaimer.ticks, NONCE_B)));
    const lock = DataDirLock.acquire(dir);
    expect(lock.tookOverFrom?.nonce).toBe(NONCE_A);
    expect(files()).toEqual([LOCK_FILENAME]);
    lock.release();
  });

  it('does not take over while another live starter holds the claim on the stale lock (no two winners)', async () => {
    const dead = await deadProcess();
    const claimer = liveProcess();
    fs.writeFileSync(lockFile(), JSON.stringify(record(dead.pid, dead.ticks, NONCE_A)));
    fs.writeFileSync(path.join(dir, `${LOCK_FILENAME}.claim-${NONCE_A}`), JSON.stringify(record(claimer.pid, claimer.ticks, NONCE_B)));
    expect(() => DataDirLock.acquire(dir)).toThrow(new RegExp(`another start is taking over the stale lock .* \\(pid ${claimer.pid} `));
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).nonce).toBe(NONCE_A);
  });

  it('refuses, and keeps, a lock from another host or one it cannot read', () => {
    const live = liveProcess();
    fs.writeFileSync(lockFile(), JSON.stringify(record(live.pid, live.ticks + 1, NONCE_A, { hostname: 'nas-client-2' })));
    expect(() => DataDirLock.acquire(dir)).toThrow(/on host nas-client-2.*this is host .*delete .*\.service\.lock and start again/);
    fs.writeFileSync(lockFile(), '{"pid": 12');
    expect(() => DataDirLock.acquire(dir)).toThrow(/cannot be read, so whether another service uses DATA_DIR .* is unknown/);
    expect(fs.readFileSync(lockFile(), 'utf8')).toBe('{"pid": 12');
  });

  it('sweeps only its own leftovers: candidates of gone processes, never files it cannot prove are its own', async () => {
    const dead = await deadProcess();
    const leftover = path.join(dir, `${LOCK_FILENAME}.${NONCE_B}.candidate`);
    fs.writeFileSync(leftover, JSON.stringify(record(dead.pid, dead.ticks, NONCE_B)));
    fs.writeFileSync(path.join(dir, `${LOCK_FILENAME}.notes`), 'my own notes');
    fs.writeFileSync(path.join(dir, '.service.lock-backup'), 'not ours either');
    const lock = DataDirLock.acquire(dir);
    expect(files()).toEqual([LOCK_FILENAME, `${LOCK_FILENAME}.notes`, '.service.lock-backup'].sort());
    lock.release();
  });

  it("release leaves a lock that is no longer this holder's alone", () => {
    const lock = DataDirLock.acquire(dir);
    fs.writeFileSync(lockFile(), JSON.stringify(record(1, 1, NONCE_A)));
    lock.release();
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).nonce).toBe(NONCE_A);
  });
});
