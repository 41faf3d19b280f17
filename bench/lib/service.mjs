// The real service as a child process (`node dist/main.js`), plain HTTP against it, and /proc readings
// of its memory and CPU.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const CLK_TCK = 100; // Linux's USER_HZ for /proc/<pid>/stat on every architecture Node supports

/** One HTTP request to 127.0.0.1:port; resolves with { status, body (parsed JSON or text), ms }. */
export function request(port, method, urlPath, { body, agent, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const started = performance.now();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent: agent ?? false,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const ms = performance.now() - started;
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode, body: parsed, ms });
        });
      },
    );
    req.on('error', reject);
    if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${urlPath}: no answer in ${timeoutMs} ms`)));
    req.end(data);
  });
}

/** VmRSS / VmHWM of a process, in KiB. */
export function memoryOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/**
 * User + system CPU seconds a process (all its threads) has used so far, or only its thread `tid` (the
 * main thread's is the pid); 0 when it is gone.
 */
export function cpuSecondsOf(pid, tid) {
  try {
    const stat = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU seconds the whole machine has been busy (every core; user, nice, system, irq, softirq, steal). */
export function machineBusySeconds() {
  const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

/**
 * Peak resident memory of a process over a phase: the kernel's high-water mark (VmHWM), reset at
 * the start with `echo 5 > /proc/<pid>/clear_refs`, plus VmRSS sampled every 50 ms as a cross-check
 * (and as the fallback where clear_refs is not writable).
 */
export class MemoryProbe {
  constructor(pid, intervalMs = 50) {
    this.pid = pid;
    this.intervalMs = intervalMs;
  }

  start() {
    try {
      fs.writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.sampledMaxKb = memoryOf(this.pid).rssKb;
    this.timer = setInterval(() => {
      try {
        this.sampledMaxKb = Math.max(this.sampledMaxKb, memoryOf(this.pid).rssKb);
      } catch {
        // the process is gone; stop() reports what was seen
      }
    }, this.intervalMs);
    return this;
  }

  stop() {
    clearInterval(this.timer);
    const { rssKb, hwmKb } = memoryOf(this.pid);
    const sampledMaxKb = Math.max(this.sampledMaxKb, rssKb);
    return {
      peakKb: this.hwmReset ? Math.max(hwmKb, sampledMaxKb) : sampledMaxKb,
      hwmKb: this.hwmReset ? hwmKb : null,
      sampledMaxKb,
      source: this.hwmReset ? 'VmHWM' : 'VmRSS sampled',
    };
  }
}

/** `node <appDir>/dist/main.js` with its own port, data dir and log; schedules off. */
export class ServiceProcess {
  constructor({ appDir, cwd, dataDir, logFile, port, nodeFlags = [], extraEnv = {} }) {
    Object.assign(this, { appDir, cwd, dataDir, logFile, port, nodeFlags, extraEnv });
    /** The process's own stdout and stderr (V8's --trace-gc lines, for one). */
    this.stdoutLog = logFile.replace(/\.log$/, '.stdout.log');
  }

  async start() {
    const out = fs.openSync(this.stdoutLog, 'a');
    // A clean environment: nothing of the caller's (.env-style R2_* fallbacks, NODE_OPTIONS, a token) leaks in.
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TZ: 'UTC',
      PORT: String(this.port),
      HOST: '127.0.0.1',
      DATA_DIR: this.dataDir,
      LOG_FILE: this.logFile,
      SENTINEL_SCHEDULES: 'off',
      SENTINEL_MASTER_KEY: 'sentinel-backup-benchmark-passphrase',
      SENTINEL_RESTART_MODE: 'exit',
      ...this.extraEnv,
    };
    this.child = spawn(process.execPath, [...this.nodeFlags, path.join(this.appDir, 'dist', 'main.js')], { cwd: this.cwd, env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.pid = this.child.pid;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const exited = await Promise.race([this.exited, sleep(100).then(() => undefined)]);
      if (exited) throw new Error(`the service exited during start (${exited.signal ?? exited.code}); see ${this.logFile}`);
      try {
        const res = await request(this.port, 'GET', '/api/health', { timeoutMs: 2000 });
        if (res.status === 200) return this;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the service did not answer /api/health within 60 s; see ${this.logFile}`);
    }
  }

  request(method, urlPath, options) {
    return request(this.port, method, urlPath, options);
  }

  /** Like request, but anything other than the expected status is an error. */
  async expect(status, method, urlPath, options) {
    const res = await this.request(method, urlPath, options);
    if (res.status !== status) throw new Error(`${method} ${urlPath} answered ${res.status} (expected ${status}): ${JSON.stringify(res.body).slice(0, 600)}`);
    return res.body;
  }

  async setSetting(key, value) {
    await this.expect(200, 'PUT', `/api/settings/${key}`, { body: { value } });
  }

  /** SIGTERM, then SIGKILL after 30 s. */
  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const done = await Promise.race([this.exited, sleep(30_000).then(() => undefined)]);
    if (!done) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** For exit handlers: synchronous and unconditional. */
  killNow() {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * The service from a private copy of the build `dist` in `scratch`/app (a colleague's `nest build`, which empties
 * dist/, cannot pull it away mid-run; under the repository `repo`, so packages resolve from its node_modules and
 * its package.json applies), on `scratch`/data, with its log in `scratch`. `onStarting` gets it before it starts
 * (to kill it on exit). Resolves once it answers.
 */
export async function startScratchService({ repo, scratch, dist, nodeFlags, env, port, onStarting }) {
  const appDir = path.join(scratch, 'app');
  fs.rmSync(path.join(appDir, 'dist'), { recursive: true, force: true });
  fs.cpSync(dist, path.join(appDir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(repo, 'package.json'), path.join(appDir, 'package.json'));
  const svc = new ServiceProcess({
    appDir,
    cwd: scratch,
    dataDir: path.join(scratch, 'data'),
    logFile: path.join(scratch, 'service.log'),
    port,
    nodeFlags,
    extraEnv: env,
  });
  onStarting?.(svc);
  return svc.start();
}
