/**
 * Crash safety of phase 2: the real service (`node dist/main.js`) is killed with SIGKILL at each step
 * of applying a staged restore (SENTINEL_RESTORE_FAULT, a test-only fault point), and the next start
 * must leave either the complete old set or the complete new set, every database passing its
 * integrity check, and say which it did. The later steps, the roll-back and the second kills are in
 * restore-crash-rollback.e2e-spec.ts (two files, so the e2e tier runs their service starts side by side).
 */
import { killedWhileApplying, useStagedTemplate } from './fixtures/restore-crash.js';

describe('Restore phase 2 survives kill -9 at every step', () => {
  const copyOfTemplate = useStagedTemplate();

  it.each([
    ['apply:start', 'applied'],
    ['apply:safety-copy-partial', 'applied'],
    ['apply:safety-copy-done', 'applied'],
    ['apply:journal-applying', 'resumed'],
    ['apply:swapped-1', 'resumed'],
    ['apply:swapped-4', 'resumed'],
    ['apply:swapped-7', 'resumed'],
  ])('killed at %s: the next start ends with the complete new set (%s)', (step, outcome) => killedWhileApplying(copyOfTemplate, step, outcome), 60_000);
});
