// What the benchmarks do with the running service: a backup as a user starts it, encryption on and off
// as a user turns it, and the measurement of one phase (peak memory, CPU, and, when the service runs
// with --trace-gc, its garbage collections per thread).
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSecondsOf, machineBusySeconds, MemoryProbe } from './service.mjs';

/**
 * POST /api/backups/{target} (with `body`, e.g. `{ kind: 'incremental' }`, when given), then polls the job
 * every `pollMs` (default 50 ms); phase start times are relative to the POST. Each poll costs the service
 * a little CPU, so a slower backup costs more of it.
 */
export async function serviceBackup(svc, target, { onPhase, pollMs = 50, body } = {}) {
  const started = performance.now();
  const job = await svc.expect(202, 'POST', `/api/backups/${target}`, body === undefined ? undefined : { body });
  const phases = [{ phase: job.phase, atMs: 0 }];
  onPhase?.(job.phase, job.id);
  let last = job;
  while (last.status !== 'succeeded' && last.status !== 'failed') {
    await sleep(pollMs);
    last = await svc.expect(200, 'GET', `/api/backup-jobs/${job.id}`);
    if (last.phase !== phases.at(-1).phase) {
      phases.push({ phase: last.phase, atMs: performance.now() - started });
      onPhase?.(last.phase, job.id);
    }
  }
  const wallMs = performance.now() - started;
  if (last.status !== 'succeeded') throw new Error(`the ${target} backup failed: ${last.error}`);
  const at = (phase) => phases.find((p) => p.phase === phase)?.atMs;
  return {
    id: job.id,
    target,
    filename: last.filename,
    sizeBytes: last.size_bytes,
    wallMs,
    jobMs: last.duration_ms,
    checkMs: (at('snapshotting') ?? NaN) - (at('checking') ?? 0),
    snapshotMs: (at('archiving') ?? NaN) - (at('snapshotting') ?? NaN),
    archiveMs: (at('done') ?? wallMs) - (at('archiving') ?? NaN),
    phases,
  };
}

/**
 * Restore staging as a user runs it: POST /api/backups/{target}/restore with restart false (download,
 * safe extraction with SHA-256 and fsync, integrity checks, the flag written), timed to its 202; then
 * the staged restore is cancelled, outside the timing, so the next run starts from the same state.
 */
export async function serviceStage(svc, target, filename) {
  const started = performance.now();
  const staged = await svc.expect(202, 'POST', `/api/backups/${target}/restore`, { body: { filename, restart: false } });
  const ms = performance.now() - started;
  if (staged.archive !== filename) throw new Error(`staging ${filename} (${target}) staged ${JSON.stringify(staged).slice(0, 300)}`);
  await svc.expect(200, 'DELETE', `/api/backups/${target}/restore/staged`);
  return { ms };
}

/**
 * Runs `fn` while measuring the service's peak memory and CPU (all its threads, and its main thread alone:
 * the one that serves the API), and other pids' CPU. With --trace-gc
 * among the service's node flags, also `gc`: the collections V8 traced meanwhile, of the service's main
 * thread and of all its other threads together (see GcTrace).
 */
export async function measured(svc, fn, otherPids = []) {
  const probe = new MemoryProbe(svc.pid).start();
  const gcFrom = GcTrace.offset(svc.stdoutLog);
  const cpu0 = cpuSecondsOf(svc.pid);
  const mainCpu0 = cpuSecondsOf(svc.pid, svc.pid);
  const other0 = otherPids.reduce((s, p) => s + cpuSecondsOf(p), 0);
  const busy0 = machineBusySeconds();
  const started = performance.now();
  try {
    const result = await fn();
    const mem = probe.stop();
    const cpuS = cpuSecondsOf(svc.pid) - cpu0;
    const mainThreadCpuS = cpuSecondsOf(svc.pid, svc.pid) - mainCpu0;
    const otherCpuS = otherPids.reduce((s, p) => s + cpuSecondsOf(p), 0) - other0;
    // Everything else the machine did meanwhile: other people's processes (and this script, a little).
    const othersCores = Math.max(0, machineBusySeconds() - busy0 - cpuS - otherCpuS) / ((performance.now() - started) / 1000);
    const gc = GcTrace.since(svc.stdoutLog, gcFrom);
    return { ...result, memory: mem, cpuS, mainThreadCpuS, otherCpuS, othersCores, ...(gc ? { gc } : {}) };
  } catch (error) {
    probe.stop();
    throw error;
  }
}

/**
 * The service's --trace-gc lines in its stdout log ("[pid:0xISOLATE]  1234 ms: Mark-Compact 38.4 (41.2)
 * -> 37.9 (41.0) MB, 12.3 / 0.0 ms ..."). The main thread's isolate is the one of the log's first line
 * (start-up runs on it before any worker thread exists); every other isolate is a worker thread's.
 */
export const GcTrace = {
  /** Where the log ends now (0 when there is none). */
  offset(file) {
    try {
      return fs.statSync(file).size;
    } catch {
      return 0;
    }
  },

  /** Counts and pause times of the collections logged after `from`; undefined without a GC trace. */
  since(file, from) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    const line = /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: (Mark-Compact|Scavenge|Minor Mark-Compact)\b[^,]*, ([\d.]+) \/ [\d.]+ ms/;
    const main = line.exec(text.split('\n').find((l) => line.test(l)) ?? '')?.[1];
    if (!main) return undefined;
    const gc = { mainMarkCompacts: 0, mainMarkCompactMs: 0, mainScavenges: 0, workerMarkCompacts: 0, workerScavenges: 0 };
    for (const l of Buffer.from(text, 'utf8').subarray(from).toString('utf8').split('\n')) {
      const m = line.exec(l);
      if (!m) continue;
      const onMain = m[1] === main;
      if (m[2] === 'Mark-Compact') {
        if (onMain) {
          gc.mainMarkCompacts++;
          gc.mainMarkCompactMs += Number(m[3]);
        } else gc.workerMarkCompacts++;
      } else if (onMain) gc.mainScavenges++;
      else gc.workerScavenges++;
    }
    gc.mainMarkCompactMs = Math.round(gc.mainMarkCompactMs);
    return gc;
  },
};

/**
 * Turns encryption on for `target` as a user does (PUT, which shows the recovery key once, then confirm)
 * and saves the recovery key to `keyFile` for the standard-tools line. Off again: `{ enabled: false }`.
 */
export async function enableEncryption(svc, target, keyFile) {
  const put = await svc.expect(200, 'PUT', `/api/encryption/${target}`, { body: { enabled: true, write_only: false } });
  if (put.recovery_key) fs.writeFileSync(keyFile, `${put.recovery_key}\n`, { mode: 0o600 });
  if (put.state === 'awaiting_confirmation') {
    const res = await svc.request('POST', `/api/encryption/${target}/confirm`, { body: {} });
    if (res.status !== 200 && res.status !== 201)
      throw new Error(`POST /api/encryption/${target}/confirm answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  if (!fs.existsSync(keyFile)) throw new Error(`encryption of ${target} is on, but no recovery key was shown (${JSON.stringify(put).slice(0, 200)})`);
}

export async function disableEncryption(svc, target) {
  await svc.expect(200, 'PUT', `/api/encryption/${target}`, { body: { enabled: false } });
}
