/**
 * A start that fails on the restore, through the built service in a child process: the wait for the
 * listeners of RestoreApplyFailedEvent must end in the failure (its line, exit code 1, the lock
 * released) even when a listener never settles; the process must not just run out of work and end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LISTENERS_GRACE_MS } from '../src/restore/restore-on-start.hook.js';
import { RestoreApplyFailedEvent } from '../src/restore/restore.events.js';
import { assertServiceBuilt, startService } from './fixtures/restore-service.js';
import { makeScratchDir } from './support/test-app.js';

const SCRIPT = path.resolve('test', 'fixtures', 'service-with-hanging-listener.mjs');

describe('A failed start with a listener that never settles', () => {
  let root: string;

  beforeAll(() => assertServiceBuilt());
  beforeEach(() => {
    root = makeScratchDir('sentinel-failed-start-');
    fs.mkdirSync(path.join(root, 'data'), { recursive: true });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it(
    'still fails, with its line and exit code 1, after naming the listener it stopped waiting for',
    async () => {
      fs.writeFileSync(path.join(root, 'data', '.pending-restore'), '{"format": 1,');
      const service = await startService(root, {}, SCRIPT);
      const { code } = await service.exited;
      const output = service.output();
      expect(output).toContain('hanging listener: called');
      expect(output).toContain(
        `stopped waiting for the listeners of ${RestoreApplyFailedEvent.eventName} after ${LISTENERS_GRACE_MS / 1000} s; still busy: HangingNotifier.notify`,
      );
      expect(output).toMatch(/Sentinel Backup failed to start: The restore flag .* cannot be read/);
      expect(code).toBe(1);
      expect(fs.existsSync(path.join(root, 'data', '.service.lock'))).toBe(false);
    },
    LISTENERS_GRACE_MS + 30_000,
  );
});
