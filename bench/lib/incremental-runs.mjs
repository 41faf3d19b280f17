// Issue 19's measurements: incremental backups against full backups of the same target (local folder),
// on the same data, in one run, through the API as a user drives it: the policy through
// PATCH /api/targets/local, each backup through POST /api/backups/local with {"kind": ...}, restore staging
// of a chain's end through POST /api/backups/local/restore (restart false, then cancelled), as the
// full-backup staging measurement does.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { measured, serviceBackup, serviceStage } from './backup-runs.mjs';
import { PageWriter } from './page-writer.mjs';

/** Shares of changed pages for the growth rows (issue 19: 1 %, 10 %, 50 %). */
export const CHANGE_SHARES = [0.01, 0.1, 0.5];
/** Issue 19: the chain whose end is restored. */
export const CHAIN_LENGTH = 24;
/**
 * A page diff with more than half of a database's pages changed makes the backup full (page-diff.ts), so
 * the "50 %" row aims a little under it: the writer's blocks also touch interior pages beyond their aim.
 */
const HALF_AIM = 0.48;

/** Long chains, as the measurement needs them: a full backup only when asked for. */
const LONG_CHAINS = { enabled: true, full_every: 10000, max_chain_ratio: 10 };

const isIncrement = (filename) => filename.startsWith('sentinel-incremental-');

/**
 * `backup-metadata.json` of an unencrypted increment (its first entry): the changed page ranges per
 * database. Reads the whole archive (an increment is small).
 */
function incrementMetadata(file) {
  const tar = zlib.gunzipSync(fs.readFileSync(file));
  const size = parseInt(tar.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim(), 8);
  return JSON.parse(tar.subarray(512, 512 + size).toString('utf8'));
}

/** Changed pages of an increment over all its databases, and the pages of those databases. */
function changedShare(file) {
  const meta = incrementMetadata(file);
  let changed = 0;
  let pages = 0;
  for (const db of meta.databases) {
    pages += db.page_count;
    for (const [first, last] of db.changed_pages) changed += last - first + 1;
  }
  return { changed, pages, share: changed / pages };
}

/**
 * Runs the section and returns its figures. `ctx`: { svc, dataDir, backupsDir, manifest, log, settle, fmt }
 * (fmt: the bench's formatters, for the progress lines).
 */
export async function runIncremental({ svc, dataDir, backupsDir, manifest, log, settle, fmt }) {
  const { fmtS, fmtMb, fmtMem } = fmt;
  await svc.expect(200, 'PATCH', '/api/targets/local', { body: { incremental: LONG_CHAINS } });
  const writer = new PageWriter(dataDir, manifest.databases);
  log(`incremental: ${writer.totalPages} pages in 7 databases; writer ready`);

  /** A backup of the kind asked for (the body's kind); refuses to go on when the service made the other kind. */
  const backup = async (kind) => {
    const run = await measured(svc, () => serviceBackup(svc, 'local', { body: { kind } }));
    await settle();
    if (isIncrement(run.filename) !== (kind === 'incremental'))
      throw new Error(`asked for a ${kind} backup, the service made ${run.filename} (see its log for the reason)`);
    return run;
  };
  const stage = async (filename) => {
    const run = await measured(svc, () => serviceStage(svc, 'local', filename));
    await settle();
    return run;
  };
  const increment = async (share, aim = share) => {
    writer.change(aim);
    await settle();
    const run = await backup('incremental');
    return { share, aim, ...run, changed: changedShare(path.join(backupsDir, run.filename)) };
  };

  // The chain's first backup is full: there is no page index yet.
  log('incremental: full backup (policy on: page-stable snapshots), the base of the chain');
  const full = await backup('full');
  log(`  ${full.filename}: ${fmtS(full.wallMs)}, ${fmtMb(full.sizeBytes)}, peak ${fmtMem(full.memory.peakKb)}`);

  log(`incremental: ${CHAIN_LENGTH} increments, each after a writer changed 1 % of the pages`);
  const chain = [];
  for (let i = 0; i < CHAIN_LENGTH; i++) {
    chain.push(await increment(0.01));
    const r = chain.at(-1);
    log(`  ${r.filename}: ${fmtS(r.wallMs)}, ${fmtMb(r.sizeBytes)}, ${(r.changed.share * 100).toFixed(2)} % of pages changed, peak ${fmtMem(r.memory.peakKb)}`);
  }
  const chainEnd = chain.at(-1);

  log(`incremental: restore staging of the chain's end (full + ${CHAIN_LENGTH} increments)`);
  const stageChain = await stage(chainEnd.filename);
  log(`  ${fmtS(stageChain.ms)}, peak ${fmtMem(stageChain.memory.peakKb)}`);
  log("incremental: restore staging of the chain's full backup");
  const stageBase = await stage(full.filename);
  log(`  ${fmtS(stageBase.ms)}, peak ${fmtMem(stageBase.memory.peakKb)}`);

  // A full backup of the data the chain's end holds: asked for with {"kind": "full"}; a build whose
  // POST does not read the body makes an increment instead, and then the full backup is made with the policy off.
  log("incremental: full backup of the chain end's data, then its restore staging");
  let sameData = await measured(svc, () => serviceBackup(svc, 'local', { body: { kind: 'full' } }));
  await settle();
  let sameDataMethod = 'POST {"kind": "full"}, page-stable snapshots';
  if (isIncrement(sameData.filename)) {
    log(`  the service made ${sameData.filename} for {"kind": "full"}: the full backup is made with the policy off`);
    await svc.expect(200, 'PATCH', '/api/targets/local', { body: { incremental: { enabled: false } } });
    sameData = await backup('full');
    await svc.expect(200, 'PATCH', '/api/targets/local', { body: { incremental: LONG_CHAINS } });
    sameDataMethod = 'the policy off for it (VACUUM INTO snapshots): this build did not read POST {"kind": "full"}';
  }
  const stageFull = await stage(sameData.filename);
  log(`  ${sameData.filename}: ${fmtS(sameData.wallMs)}; staging ${fmtS(stageFull.ms)}, peak ${fmtMem(stageFull.memory.peakKb)}`);

  const growth = [chain[0]];
  for (const share of CHANGE_SHARES.slice(1)) {
    const aim = share === 0.5 ? HALF_AIM : share;
    log(`incremental: increment after ${share * 100} % of the pages changed (writer aimed at ${(aim * 100).toFixed(0)} %)`);
    growth.push(await increment(share, aim));
    const r = growth.at(-1);
    log(`  ${r.filename}: ${fmtS(r.wallMs)}, ${fmtMb(r.sizeBytes)}, ${(r.changed.share * 100).toFixed(2)} % of pages changed, peak ${fmtMem(r.memory.peakKb)}`);
  }

  const slim = (run) => ({
    filename: run.filename,
    sizeBytes: run.sizeBytes,
    wallMs: run.wallMs,
    checkMs: run.checkMs,
    snapshotMs: run.snapshotMs,
    archiveMs: run.archiveMs,
    cpuS: run.cpuS,
    othersCores: run.othersCores,
    memory: run.memory,
    ...(run.changed ? { share: run.share, aim: run.aim, changed: run.changed } : {}),
  });
  return {
    totalPages: writer.totalPages,
    full: slim(full),
    growth: growth.map(slim),
    chain: chain.map(slim),
    sameData: { ...slim(sameData), method: sameDataMethod },
    stageChain: { ms: stageChain.ms, cpuS: stageChain.cpuS, othersCores: stageChain.othersCores, memory: stageChain.memory },
    stageBase: { ms: stageBase.ms, cpuS: stageBase.cpuS, othersCores: stageBase.othersCores, memory: stageBase.memory },
    stageFull: { ms: stageFull.ms, cpuS: stageFull.cpuS, othersCores: stageFull.othersCores, memory: stageFull.memory },
  };
}

/**
 * Only the staging measurements, on the chain an earlier `--only incremental --keep-scratch` run left in its
 * scratch folder (the service restarted on it, this build): the chain's end (its oldest full backup and the
 * increments on it), that full backup alone, and the next full backup (the same data as the chain's end), each
 * staged `repeat` times in turn. A run of minutes at 1000 MB instead of the chain's half hour.
 */
export async function runChainStaging({ svc, repeat, log, settle, fmt }) {
  const { fmtS, fmtMem } = fmt;
  const backups = await svc.expect(200, 'GET', '/api/backups/local');
  // Oldest first, by the time in the name (full backups and increments share one time line).
  const stamp = (filename) => /\d{4}-\d{2}-\d{2}-\d{6}/.exec(filename)?.[0] ?? '';
  const byAge = [...backups].sort((a, b) => stamp(a.filename).localeCompare(stamp(b.filename)));
  const fulls = byAge.filter((b) => !isIncrement(b.filename));
  if (fulls.length < 2) throw new Error(`the kept scratch holds ${fulls.length} full backups: run --only incremental --keep-scratch first`);
  const base = fulls[0].filename;
  const chain = byAge.filter((b) => isIncrement(b.filename) && b.base === base);
  if (chain.length === 0) throw new Error(`no increment of ${base} in the kept scratch`);
  const points = { chainEnd: chain.at(-1).filename, base, sameData: fulls[1].filename };
  log(`stage only: chain end ${points.chainEnd} (${chain.length} increments on ${base}); same data ${points.sameData}`);
  const runs = { chainEnd: [], base: [], sameData: [] };
  for (let r = 1; r <= repeat; r++) {
    for (const [key, filename] of Object.entries(points)) {
      const run = await measured(svc, () => serviceStage(svc, 'local', filename));
      await settle();
      runs[key].push(run);
      log(
        `  ${key} (${r}/${repeat}): ${fmtS(run.ms)}, CPU ${run.cpuS.toFixed(1)} s, others ${run.othersCores.toFixed(2)} cores, peak ${fmtMem(run.memory.peakKb)}`,
      );
    }
  }
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const ms = Object.fromEntries(Object.entries(runs).map(([key, list]) => [key, median(list.map((run) => run.ms))]));
  log(
    `stage only (medians): chain end ${fmtS(ms.chainEnd)}, its full ${fmtS(ms.base)}, full of the same data ${fmtS(ms.sameData)}: ` +
      `chain end / same data ${(ms.chainEnd / ms.sameData).toFixed(2)} x`,
  );
  return { points, chainLength: chain.length, runs, ms };
}
