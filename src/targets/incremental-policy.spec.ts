import { LONGEST_CHAIN } from '../archive-format/incremental-metadata.js';
import { DomainError } from '../common/errors/domain-error.js';
import { applyIncrementalInput, DEFAULT_INCREMENTAL_POLICY, incrementalFields, readStoredIncremental } from './incremental-policy.js';

const off = { ...DEFAULT_INCREMENTAL_POLICY };

/** The 400 applyIncrementalInput answers for `input`: the field it names and its message. */
function refusal(input: unknown): { field: unknown; message: string } {
  try {
    applyIncrementalInput(off, input);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return { field: (error as DomainError).details?.field, message: (error as Error).message };
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

describe('the incremental policy', () => {
  it('defaults to off, daily, 0.5, and shows itself in the API names', () => {
    expect(incrementalFields(off)).toEqual({ enabled: false, full_every: 'daily', max_chain_ratio: 0.5 });
  });

  it('merges the fields sent into the current policy, keeping the others', () => {
    const on = applyIncrementalInput(off, { enabled: true });
    expect(on).toEqual({ enabled: true, full_every: 'daily', max_chain_ratio: 0.5 });
    expect(applyIncrementalInput(on, { full_every: 96 })).toEqual({ enabled: true, full_every: 96, max_chain_ratio: 0.5 });
    expect(applyIncrementalInput(on, { full_every: 'weekly', max_chain_ratio: 10 })).toEqual({ enabled: true, full_every: 'weekly', max_chain_ratio: 10 });
    expect(applyIncrementalInput(on, { max_chain_ratio: 0.01, full_every: 1 })).toEqual({ enabled: true, full_every: 1, max_chain_ratio: 0.01 });
    expect(applyIncrementalInput(on, {})).toEqual(on);
  });

  it('allows chains up to the longest a restore follows, no longer', () => {
    const on = applyIncrementalInput(off, { enabled: true });
    expect(applyIncrementalInput(on, { full_every: LONGEST_CHAIN }).full_every).toBe(LONGEST_CHAIN);
    expect(refusal({ full_every: LONGEST_CHAIN + 1 }).field).toBe('incremental.full_every');
  });

  it.each([
    [true, 'incremental', /incremental must be an object/],
    [null, 'incremental', /incremental must be an object/],
    [[], 'incremental', /incremental must be an object/],
    [{ enabled: true, every: 3 }, 'incremental', /takes only enabled, full_every and max_chain_ratio, not "every"/],
    [{ enabled: 'yes' }, 'incremental.enabled', /incremental.enabled must be true or false, got "yes"/],
    [{ full_every: 0 }, 'incremental.full_every', /"daily", "weekly" or a whole number of increments from 1 to 10000 .*got 0/],
    [{ full_every: 10_001 }, 'incremental.full_every', /got 10001/],
    [{ full_every: 2.5 }, 'incremental.full_every', /got 2.5/],
    [{ full_every: 'monthly' }, 'incremental.full_every', /got "monthly"/],
    [{ full_every: '24' }, 'incremental.full_every', /got "24"/],
    [{ max_chain_ratio: 0 }, 'incremental.max_chain_ratio', /from 0.01 to 10 .*got 0/],
    [{ max_chain_ratio: 10.5 }, 'incremental.max_chain_ratio', /got 10.5/],
    [{ max_chain_ratio: '0.5' }, 'incremental.max_chain_ratio', /got "0.5"/],
  ])('refuses %j naming %s', (input, field, message) => {
    const refused = refusal(input);
    expect(refused.field).toBe(field);
    expect(refused.message).toMatch(message);
  });

  it('reads a stored policy back, and anything damaged as the default', () => {
    expect(readStoredIncremental({ enabled: true, full_every: 'weekly', max_chain_ratio: 2 })).toEqual({
      enabled: true,
      full_every: 'weekly',
      max_chain_ratio: 2,
    });
    expect(readStoredIncremental({})).toEqual(off);
    expect(readStoredIncremental({ enabled: true, full_every: -1 })).toEqual(off);
    expect(readStoredIncremental('nonsense')).toEqual(off);
  });
});
