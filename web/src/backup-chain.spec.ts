import { describe, expect, it } from '@jest/globals';
import { dependsOn, kindLabel, timeOfName, type ChainEntry } from './backup-chain';

const full: ChainEntry = { filename: 'sentinel-backup-2026-12-01-030000.tar.gz', created_at: '2026-12-01T03:00:00Z', kind: 'full', base: null, parent: null };
const first: ChainEntry = {
  filename: 'sentinel-incremental-2026-12-01-040000.tar.gz.age',
  created_at: '2026-12-01T04:00:00Z',
  kind: 'incremental',
  base: full.filename,
  parent: full.filename,
};
const second: ChainEntry = {
  filename: 'sentinel-incremental-2026-12-01-051500.tar.gz',
  created_at: '2026-12-01T05:15:00Z',
  kind: 'incremental',
  base: full.filename,
  parent: first.filename,
};

describe('backup chains in words', () => {
  it('reads the UTC time in either kind of name, encrypted or not', () => {
    expect(timeOfName(first.filename)).toBe('2026-12-01T04:00:00Z');
    expect(timeOfName(full.filename)).toBe('2026-12-01T03:00:00Z');
    expect(timeOfName('notes.txt')).toBeNull();
  });

  it('labels each kind in words', () => {
    expect([kindLabel('full'), kindLabel('incremental')]).toEqual(['Full', 'Incremental']);
  });

  it('says what an increment depends on, with zone-named times, and nothing for a full backup', () => {
    const list = [full, first, second];
    expect(dependsOn(full, list, 'UTC')).toBeNull();
    expect(dependsOn(first, list, 'UTC')).toMatch(/^after the full backup of .*2026.*03:00( AM)? UTC$/);
    expect(dependsOn(second, list, 'Europe/Berlin')).toMatch(/^after .*05:00( AM)? Europe\/Berlin, from full .*04:00( AM)? Europe\/Berlin$/);
  });

  it('reads a time from the name of a point no longer listed, saying so, and says when the chain is not recorded', () => {
    expect(dependsOn(second, [second], 'UTC')).toMatch(/^after .*04:00( AM)? UTC \(not in this list\), from full .*03:00( AM)? UTC \(not in this list\)$/);
    expect(dependsOn({ ...second, base: null, parent: null }, [second], 'UTC')).toMatch(/chain is not recorded here/);
  });
});
