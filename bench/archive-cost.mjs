// What a backup's archive costs the service, in figures that hold on a loaded machine: CPU seconds of the
// service process per backup, full (mark-compact) collections of its main thread and their pauses, and its
// peak resident memory; for plain and for encrypted backups to the local target, on the bench's data set.
// Wall times are printed too, but only mean something on a quiet machine (that is `npm run bench`).
//
//   npx nest build && node bench/archive-cost.mjs                  # 250 MB, 2 plain + 2 encrypted backups
//   options: --size-mb N  --backups N (of each kind)  --dist DIR (another build, e.g. a copy of an older one)
//            --node-flags "..." (default: npm start's flags plus --trace-gc, which the GC counts need)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { disableEncryption, enableEncryption, measured, serviceBackup } from './lib/backup-runs.mjs';
import { DATABASES, ensureDataset } from './lib/dataset.mjs';
import { freePorts } from './lib/s3-server.mjs';
import { startScratchService } from './lib/service.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DATA_ROOT = path.join(REPO, 'bench', 'data');

function parseArgs(argv) {
  const start = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).scripts.start;
  const match = /((?:\b[A-Z_]+=\S+\s+)*)node((?:\s+--\S+)*)\s+dist\/main\.js/.exec(start);
  const args = {
    sizeMb: 250,
    backups: 2,
    dist: path.join(REPO, 'dist'),
    env: Object.fromEntries(
      (match?.[1] ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((a) => a.split('=', 2)),
    ),
    nodeFlags: [...(match?.[2] ?? '').split(/\s+/).filter(Boolean), '--trace-gc'],
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--size-mb') args.sizeMb = Number(value());
    else if (flag === '--backups') args.backups = Number(value());
    else if (flag === '--dist') args.dist = path.resolve(value());
    else if (flag === '--node-flags') args.nodeFlags = value().split(' ').filter(Boolean);
    else throw new Error(`unknown option ${argv[i]} (see the head of bench/archive-cost.mjs)`);
  }
  return args;
}

const t0 = Date.now();
const log = (message) => console.log(`[archive-cost ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${message}`);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { dir: setDir } = ensureDataset(DATA_ROOT, args.sizeMb, log);
  const scratch = fs.mkdtempSync(path.join(DATA_ROOT, `.cost-${args.sizeMb}mb-`));
  let svc;
  const cleanUp = () => {
    svc?.killNow();
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  process.on('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
  try {
    const dataDir = path.join(scratch, 'data');
    fs.mkdirSync(dataDir);
    for (const db of DATABASES) fs.copyFileSync(path.join(setDir, `${db}.db`), path.join(dataDir, `${db}.db`));
    const [port] = await freePorts(1);
    await startScratchService({
      repo: REPO,
      scratch,
      dist: args.dist,
      nodeFlags: args.nodeFlags,
      env: args.env,
      port,
      onStarting: (s) => (svc = s),
    });
    const backupsDir = path.join(scratch, 'backups');
    await svc.setSetting('local_backup_dir', backupsDir);
    // An S3 target configured and tried, as the bench's service has one: the AWS SDK it loads is most of the
    // service's heap, which is what a full collection marks. No S3 server answers (nothing is uploaded here).
    const [deadPort] = await freePorts(1);
    await svc.setSetting('r2_endpoint', `http://127.0.0.1:${deadPort}`);
    await svc.setSetting('r2_bucket_name', 'archive-cost');
    await svc.setSetting('r2_access_key_id', 'archive-cost');
    await svc.setSetting('r2_secret_access_key', 'archive-cost-secret');
    await svc.request('POST', '/api/backups/r2/test');
    log(`service pid ${svc.pid}, build ${path.relative(REPO, args.dist) || args.dist}, flags ${args.nodeFlags.join(' ')}`);

    const rows = [];
    for (const kind of ['plain', 'encrypted']) {
      if (kind === 'encrypted') await enableEncryption(svc, 'local', path.join(scratch, 'recovery-key.txt'));
      for (let i = 1; i <= args.backups; i++) {
        // Polled once a second: the polls' own CPU grows with the wall time, which the machine's load stretches.
        const run = await measured(svc, () => serviceBackup(svc, 'local', { pollMs: 1000 }));
        const row = {
          kind,
          cpuS: run.cpuS,
          mainThreadCpuS: run.mainThreadCpuS,
          wallS: run.wallMs / 1000,
          archiveS: run.archiveMs / 1000,
          peakMb: (run.memory.peakKb * 1024) / 1e6,
          othersCores: run.othersCores,
          ...run.gc,
        };
        rows.push(row);
        log(
          `${kind} ${i}: CPU ${row.cpuS.toFixed(2)} s (main thread ${row.mainThreadCpuS.toFixed(2)} s), main-thread mark-compacts ${row.mainMarkCompacts ?? '?'} (${row.mainMarkCompactMs ?? '?'} ms), ` +
            `scavenges ${row.mainScavenges ?? '?'}; other threads: ${row.workerMarkCompacts ?? '?'} mark-compacts, ${row.workerScavenges ?? '?'} scavenges; ` +
            `peak RSS ${row.peakMb.toFixed(0)} MB; wall ${row.wallS.toFixed(2)} s (archive ${row.archiveS.toFixed(2)} s), other processes ${row.othersCores.toFixed(2)} cores`,
        );
        for (const name of fs.readdirSync(backupsDir)) fs.rmSync(path.join(backupsDir, name), { force: true });
      }
      if (kind === 'encrypted') await disableEncryption(svc, 'local');
    }
    console.log(JSON.stringify({ sizeMb: args.sizeMb, dist: args.dist, nodeFlags: args.nodeFlags, rows }));
    await svc.stop();
  } finally {
    cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`archive-cost failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
