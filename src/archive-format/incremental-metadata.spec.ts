import { chainTooLong, type IncrementalMetadata, incrementalMetadataProblems, LONGEST_CHAIN } from './incremental-metadata.js';

const valid = (): IncrementalMetadata => ({
  timestamp: '2026-12-03T09:15:00Z',
  version: '1.0.0',
  sentinel_version: '0.1.0',
  kind: 'incremental',
  base: 'sentinel-backup-2026-12-03-030000.tar.gz',
  parent: 'sentinel-incremental-2026-12-03-090000.tar.gz',
  databases: [
    {
      name: 'ledger',
      filename: 'ledger.db',
      page_size: 4096,
      page_count: 100,
      size_bytes: 409600,
      checksum: `sha256:${'a'.repeat(64)}`,
      changed_pages: [
        [1, 1],
        [10, 12],
      ],
      pages_file: 'ledger.db.pages',
      pages_checksum: `sha256:${'b'.repeat(64)}`,
    },
    {
      name: 'cache',
      filename: 'cache.db',
      page_size: 4096,
      page_count: 3,
      size_bytes: 12288,
      checksum: `sha256:${'c'.repeat(64)}`,
      changed_pages: [],
      pages_file: null,
      pages_checksum: null,
    },
  ],
});

describe('incrementalMetadataProblems', () => {
  it('accepts the documented example, with its pages file of the right length', () => {
    expect(incrementalMetadataProblems(valid(), new Map([['ledger', 4 * 4096]]))).toEqual([]);
  });

  it.each<[string, (m: IncrementalMetadata) => void, string]>([
    [
      'overlapping ranges',
      (m) =>
        (m.databases[0].changed_pages = [
          [1, 10],
          [10, 12],
        ]),
      'databases[0].changed_pages has [10, 12] after page 10: ranges must ascend without overlapping',
    ],
    [
      'descending ranges',
      (m) =>
        (m.databases[0].changed_pages = [
          [10, 12],
          [1, 1],
        ]),
      'must ascend',
    ],
    ['a range past page_count', (m) => (m.databases[0].changed_pages = [[99, 101]]), 'beyond page_count 100'],
    ['page 0', (m) => (m.databases[0].changed_pages = [[0, 1]]), '1-based'],
    ['a size that is not page_count × page_size', (m) => (m.databases[0].size_bytes = 409601), 'size_bytes must be page_count × page_size'],
    ['a page size that is not a power of two', (m) => (m.databases[0].page_size = 3000), 'page_size must be a power of two'],
    ['a malformed pages checksum', (m) => (m.databases[0].pages_checksum = 'sha256:xyz'), 'pages_checksum must be "sha256:"'],
    ['a pages file for an unchanged database', (m) => (m.databases[1].pages_file = 'cache.db.pages'), 'databases[1].pages_file must be null'],
    ['a wrong pages file name', (m) => (m.databases[0].pages_file = 'other.pages'), 'pages_file must be "<name>.db.pages"'],
    ['a base that is not a full backup', (m) => (m.base = 'sentinel-incremental-2026-12-03-030000.tar.gz'), '"base" must name a full backup'],
    ['a parent that is no backup', (m) => (m.parent = 'x.tar.gz'), '"parent" must be'],
    ['another kind', (m) => ((m as { kind: string }).kind = 'full'), '"kind" must be "incremental"'],
  ])('names %s', (_what, damage, problem) => {
    const metadata = valid();
    damage(metadata);
    expect(incrementalMetadataProblems(metadata).join('\n')).toContain(problem);
  });

  it('names a pages file whose length is not its pages × page_size, and one that is missing', () => {
    expect(incrementalMetadataProblems(valid(), new Map([['ledger', 4 * 4096 - 1]]))).toEqual([
      'databases[0]: ledger.db.pages holds 16383 bytes, not the 16384 of its 4 pages of 4096 bytes',
    ]);
    expect(incrementalMetadataProblems(valid(), new Map())).toEqual(['databases[0]: the archive holds no ledger.db.pages']);
  });
});

describe('chainTooLong', () => {
  const base = 'sentinel-backup-2026-12-03-030000.tar.gz';
  const increment = 'sentinel-incremental-2026-12-03-090000.tar.gz';

  it('follows a chain of exactly the longest length a policy makes (full_every at its maximum) to its base', () => {
    expect(chainTooLong(LONGEST_CHAIN - 1, increment, base)).toBe(false);
    expect(chainTooLong(LONGEST_CHAIN, base, base)).toBe(false);
  });

  it('refuses a chain that goes on past that length, before its next link is read', () => {
    expect(chainTooLong(LONGEST_CHAIN, increment, base)).toBe(true);
    expect(chainTooLong(LONGEST_CHAIN + 1, base, base)).toBe(true);
  });
});
