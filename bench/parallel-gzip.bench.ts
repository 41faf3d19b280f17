// Measures gzip -6, a single zlib.createGzip and ParallelGzip on one semi-compressible file.
// Not part of the test suite. Run:
//   npx tsc --ignoreConfig --module nodenext --moduleResolution nodenext --target es2023 --types node \
//     --skipLibCheck --esModuleInterop --strict --outDir /tmp/pgz-bench --rootDir . bench/parallel-gzip.bench.ts \
//     && echo '{"type":"module"}' > /tmp/pgz-bench/package.json && ln -sfn "$PWD/node_modules" /tmp/pgz-bench/node_modules \
//     && node /tmp/pgz-bench/bench/parallel-gzip.bench.js [file] [blockSizeKiB] [concurrency]
// Without [file], a ~200 MB SQLite database of log-like rows is generated in /tmp (once).
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { ParallelGzip } from '../src/backup/archive-writer/parallel-gzip.js';

const file = process.argv[2] ?? '/tmp/pgz-bench-input.sqlite';
const blockSize = process.argv[3] ? Number(process.argv[3]) * 1024 : undefined;
const concurrency = process.argv[4] ? Number(process.argv[4]) : undefined;

function makeDatabase(path: string, targetBytes: number): void {
  // Deterministic PRNG (mulberry32) so runs are comparable.
  let seed = 42;
  const rnd = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const words = Array.from({ length: 5000 }, () =>
    Array.from({ length: 3 + Math.floor(rnd() * 8) }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join(''),
  );
  const db = new Database(path);
  db.pragma('journal_mode = OFF');
  db.exec(
    'CREATE TABLE events (id INTEGER PRIMARY KEY, ts TEXT, level TEXT, host TEXT, message TEXT, payload TEXT);' +
      'CREATE INDEX events_ts ON events(ts); CREATE INDEX events_host ON events(host);',
  );
  const insert = db.prepare('INSERT INTO events (ts, level, host, message, payload) VALUES (?, ?, ?, ?, ?)');
  const levels = ['debug', 'info', 'info', 'info', 'warn', 'error'];
  let t = Date.UTC(2025, 0, 1);
  const batch = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) {
      t += Math.floor(rnd() * 5000);
      const msg = Array.from({ length: 5 + Math.floor(rnd() * 20) }, () => words[Math.floor(rnd() ** 2 * words.length)]).join(' ');
      const payload = JSON.stringify({
        user: Math.floor(rnd() * 10000),
        latencyMs: Math.floor(rnd() * 900),
        ok: rnd() > 0.1,
        token: rnd().toString(36).slice(2),
      });
      insert.run(new Date(t).toISOString(), levels[Math.floor(rnd() * levels.length)], `host-${Math.floor(rnd() * 40)}`, msg, payload);
    }
  });
  while (statSync(path).size < targetBytes) batch(20000);
  db.close();
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function gzipCli(out: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sh', ['-c', `gzip -6 -c "${file}" > "${out}"`], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`gzip exited ${code}`))));
  });
}

async function main(): Promise<void> {
  if (!existsSync(file)) {
    console.log(`generating ${file} ...`);
    makeDatabase(file, 200 * 1024 * 1024);
  }
  const inputSize = statSync(file).size;
  console.log(`input ${file}: ${(inputSize / 1e6).toFixed(1)} MB`);

  const results: { name: string; ms: number; size: number; maxDelayMs?: number; p99DelayMs?: number }[] = [];

  // PGZ_ONLY_PARALLEL=1 reuses the previous gzip -6 output as the baseline size (for parameter sweeps).
  const cliOut = '/tmp/pgz-bench.cli.gz';
  if (process.env.PGZ_ONLY_PARALLEL && existsSync(cliOut)) {
    results.push({ name: 'gzip -6 -c (size only, earlier run)', ms: Number(process.env.PGZ_CLI_MS ?? NaN), size: statSync(cliOut).size });
  } else {
    results.push({ name: 'gzip -6 -c', ms: await time(() => gzipCli(cliOut)), size: statSync(cliOut).size });
  }

  // Loop-delay samples include the 1 ms timer resolution itself.
  let h = monitorEventLoopDelay({ resolution: 1 });
  if (!process.env.PGZ_ONLY_PARALLEL) {
    const nodeOut = '/tmp/pgz-bench.node.gz';
    h.enable();
    const nodeMs = await time(() => pipeline(createReadStream(file), createGzip({ level: 6 }), createWriteStream(nodeOut)));
    h.disable();
    results.push({ name: 'zlib.createGzip', ms: nodeMs, size: statSync(nodeOut).size, maxDelayMs: h.max / 1e6, p99DelayMs: h.percentile(99) / 1e6 });
  }

  const parOut = '/tmp/pgz-bench.parallel.gz';
  h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const parMs = await time(() => pipeline(createReadStream(file), new ParallelGzip({ blockSize, concurrency }), createWriteStream(parOut)));
  h.disable();
  results.push({
    name: `ParallelGzip(block=${(blockSize ?? 1048576) / 1024}KiB, conc=${concurrency ?? 'default'})`,
    ms: parMs,
    size: statSync(parOut).size,
    maxDelayMs: h.max / 1e6,
    p99DelayMs: h.percentile(99) / 1e6,
  });

  const cli = results[0];
  for (const r of results) {
    console.log(
      `${r.name.padEnd(42)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  ×${(r.ms / cli.ms).toFixed(2)}  ` +
        `${r.size} B (${(((r.size - cli.size) / cli.size) * 100).toFixed(2)} % vs gzip)` +
        (r.maxDelayMs !== undefined ? `  loop delay max ${r.maxDelayMs.toFixed(1)} ms p99 ${r.p99DelayMs!.toFixed(1)} ms` : ''),
    );
  }
  // Correctness spot check (gzip -t exercises the CLI decoder; Node's gunzip the other).
  const check = spawn('gzip', ['-t', parOut], { stdio: 'inherit' });
  const code = await new Promise((r) => check.on('exit', r));
  const roundTrip = gunzipSync(readFileSync(parOut)).equals(readFileSync(file));
  console.log(`gzip -t exit ${code}; zlib.gunzipSync round trip ${roundTrip ? 'ok' : 'MISMATCH'}`);
}

await main();
