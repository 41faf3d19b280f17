/**
 * Crash safety of phase 2, continued from restore-crash.e2e-spec.ts: kills at the last steps of applying,
 * a staged file lost after a kill (the roll-back), a kill during the roll-back, and a second kill while
 * an interrupted apply is being finished.
 */
import fs from 'node:fs';
import path from 'node:path';
import { crashAt, expectCompleteSet, journalState, killedWhileApplying, NAMES, nextStart, useStagedTemplate } from './fixtures/restore-crash.js';

describe('Restore phase 2 survives kill -9 at every step', () => {
  const copyOfTemplate = useStagedTemplate();

  it.each([
    ['apply:swaps-done', 'resumed'],
    ['apply:recorded', 'resumed'],
    ['apply:flag-removed', 'applied'],
  ])('killed at %s: the next start ends with the complete new set (%s)', (step, outcome) => killedWhileApplying(copyOfTemplate, step, outcome), 60_000);

  it('a staged file lost after a kill mid-swap: the next start rolls back to the complete old set and says so', async () => {
    const { root, data } = copyOfTemplate();
    await crashAt(root, 'apply:swapped-3');
    const staging = fs.readdirSync(data).find((e) => e.startsWith('.restore-staging-')) as string;
    fs.rmSync(path.join(data, staging, `${NAMES[4]}.db`));
    const { status, log } = await nextStart(root);
    expect(status.last_apply).toMatchObject({ outcome: 'rolled_back' });
    expect(status.last_apply.message).toMatch(new RegExp(`staged copy of ${NAMES[4]}\\.db is missing or damaged`));
    expect(log).toMatch(/rolling back/);
    expectCompleteSet(data, 'old');
  }, 60_000);

  it('a kill during the roll-back: the next start carries on rolling back', async () => {
    const { root, data } = copyOfTemplate();
    await crashAt(root, 'apply:swapped-3');
    const staging = fs.readdirSync(data).find((e) => e.startsWith('.restore-staging-')) as string;
    fs.rmSync(path.join(data, staging, `${NAMES[4]}.db`));
    await crashAt(root, 'rollback:restored-2');
    expect(journalState(data)).toBe('rolling_back');
    const { status, log } = await nextStart(root);
    expect(status.last_apply).toMatchObject({ outcome: 'rolled_back' });
    expect(log).toMatch(/carrying on with the roll-back/);
    expectCompleteSet(data, 'old');
  }, 60_000);

  it('a kill while finishing an interrupted apply: the start after that finishes it', async () => {
    const { root, data } = copyOfTemplate();
    await crashAt(root, 'apply:swapped-2');
    await crashAt(root, 'apply:swapped-2');
    const { status } = await nextStart(root);
    expect(status.last_apply).toMatchObject({ outcome: 'resumed' });
    expectCompleteSet(data, 'new');
  }, 60_000);
});
