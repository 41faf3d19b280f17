/**
 * kill -9 during the restore of an increment leaves what it leaves for a full backup (issue 19): the real service
 * (`node dist/main.js`) is killed (SENTINEL_RESTORE_FAULT) while the chain is rebuilt into the staging folder, before
 * the journal is written: the next start removes the work folders, the live databases are as they were, and the same
 * restore then succeeds; and a staged increment killed while applying ends, at the next start, with the complete
 * rebuilt set, as restore-crash.e2e-spec.ts shows for a full one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ALL_DATABASES, writeDatabase } from './fixtures/restore-archives.js';
import { inspectFiles, restoreWorkFiles, safetyCopies } from './fixtures/restore-app.js';
import { crashAt, journalState, nextStart } from './fixtures/restore-crash.js';
import { assertServiceBuilt, post, startService, waitHealthy, withService } from './fixtures/restore-service.js';
import { type ChainPoint, chainUnderWriter, rowsIn } from './support/increment-chains.js';
import { makeScratchDir } from './support/test-app.js';

const NAMES = ALL_DATABASES;
const OLD_SET = Object.fromEntries(NAMES.map((n) => [n, { marker: `old:${n}`, integrity: 'ok' }]));

describe("An increment's restore survives kill -9 as a full backup's does", () => {
  let template: string;
  let work: string;
  let point: ChainPoint;
  const roots: string[] = [];

  beforeAll(async () => {
    assertServiceBuilt();
    template = makeScratchDir('sentinel-crash-increment-template-');
    work = makeScratchDir('sentinel-crash-increment-chain-');
    const data = path.join(template, 'data');
    fs.mkdirSync(path.join(data, 'backups'), { recursive: true });
    for (const name of NAMES) writeDatabase(path.join(data, `${name}.db`), `old:${name}`);
    const chain = await chainUnderWriter({
      source: path.join(work, 'source'),
      folder: path.join(data, 'backups'),
      scratch: path.join(work, 'points'),
      increments: 2,
      names: NAMES,
    });
    point = chain.points[chain.points.length - 1];
  }, 60_000);

  afterAll(() => {
    for (const root of [template, work, ...roots]) if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  function copyOfTemplate(): { root: string; data: string } {
    const root = makeScratchDir('sentinel-crash-increment-');
    roots.push(root);
    fs.cpSync(template, root, { recursive: true });
    return { root, data: path.join(root, 'data') };
  }

  /** The rebuilt point is live, complete and intact; the safety copy holds the set it replaced; nothing else is left. */
  function expectPointLive(data: string): void {
    expect(rowsIn(data, point.rows)).toEqual(point.rows);
    expect(Object.values(inspectFiles(data, NAMES)).map((db) => db.integrity)).toEqual(NAMES.map(() => 'ok'));
    expect(restoreWorkFiles(data)).toEqual([]);
    const copies = safetyCopies(data);
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(inspectFiles(path.join(data, copy), NAMES)).toEqual(OLD_SET);
  }

  it.each(['stage:chain-link-1', 'stage:chain-applied'])(
    'killed while staging at %s: the next start removes the work folders, the live set is untouched, and the restore then succeeds',
    async (step) => {
      const { root, data } = copyOfTemplate();
      const service = await startService(root, { SENTINEL_RESTORE_FAULT: step });
      await waitHealthy(service);
      void post(`${service.url}/api/backups/local/restore`, { filename: point.name, restart: false }).catch(() => undefined);
      const exit = await service.exited;
      expect({ step, signal: exit.signal }).toEqual({ step, signal: 'SIGKILL' });
      expect(service.output()).toContain(`[restore-fault] killing the process at ${step}`);
      // Killed mid-staging: its work folders are there, and no journal.
      expect(restoreWorkFiles(data).length).toBeGreaterThan(0);
      expect(journalState(data)).toBeUndefined();

      await withService(root, async (again) => {
        expect(restoreWorkFiles(data)).toEqual([]);
        expect(inspectFiles(data, NAMES)).toEqual(OLD_SET);
        const staged = await post(`${again.url}/api/backups/local/restore`, { filename: point.name, restart: false });
        expect(staged).toMatchObject({ status: 202, body: { archive: point.name, state: 'staged' } });
      });
      const { status } = await nextStart(root);
      expect(status.last_apply).toMatchObject({ outcome: 'applied', archive: point.name, target: 'local' });
      expectPointLive(data);
    },
    90_000,
  );

  it.each([
    ['apply:journal-applying', 'resumed'],
    ['apply:swapped-4', 'resumed'],
  ])(
    'staged, then killed while applying at %s: the next start ends with the complete rebuilt set (%s)',
    async (step, outcome) => {
      const { root, data } = copyOfTemplate();
      await withService(root, async (service) => {
        const staged = await post(`${service.url}/api/backups/local/restore`, { filename: point.name, restart: false });
        expect(staged).toMatchObject({ status: 202, body: { archive: point.name, state: 'staged' } });
      });
      expect(journalState(data)).toBe('staged');
      await crashAt(root, step);
      const { status } = await nextStart(root);
      expect(status.staged).toBeNull();
      expect(status.last_apply).toMatchObject({ outcome, archive: point.name, target: 'local' });
      expectPointLive(data);
    },
    90_000,
  );
});
