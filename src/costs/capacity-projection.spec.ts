import type { RetentionRule } from '../targets/target-definition.js';
import { archiveGrowth, keptUnderRule, projectedBytes } from './capacity-projection.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-03-08T12:00:00Z');
const rule = (r: Partial<RetentionRule>): RetentionRule => ({
  retentionDays: 0,
  keepHourly: null,
  keepDaily: null,
  keepWeekly: null,
  keepMonthly: null,
  keepYearly: null,
  ...r,
});
const daily = (sizes: number[]) => sizes.map((sizeBytes, i) => ({ sizeBytes, createdAt: new Date(NOW.getTime() - (sizes.length - 1 - i) * DAY), own: true }));

describe('archiveGrowth', () => {
  it('measures backups a day and the size change a day from the recent archives', () => {
    const growth = archiveGrowth(daily([1000, 1100, 1200, 1300]), NOW);
    expect(growth.recentArchives).toBe(4);
    expect(growth.backupsPerDay).toBeCloseTo(1, 9);
    expect(growth.archiveBytesPerDay).toBeCloseTo(100, 9);
    expect(growth.newestArchiveBytes).toBe(1300);
  });

  it('has no rate with one archive, and ignores archives older than 30 days', () => {
    const old = { sizeBytes: 5, createdAt: new Date(NOW.getTime() - 40 * DAY), own: true };
    const growth = archiveGrowth([old, ...daily([700])], NOW);
    expect(growth).toEqual({ recentArchives: 1, backupsPerDay: null, archiveBytesPerDay: null, newestArchiveBytes: 700 });
    // Four backups a minute apart (Backup Now, clicked): no rate, rather than thousands a day.
    const clicked = [100, 200, 300, 400].map((sizeBytes, i) => ({ sizeBytes, createdAt: new Date(NOW.getTime() - (4 - i) * 60_000), own: true }));
    expect(archiveGrowth(clicked, NOW)).toEqual({ recentArchives: 4, backupsPerDay: null, archiveBytesPerDay: null, newestArchiveBytes: 400 });
  });
});

describe('keptUnderRule', () => {
  it('keeps every backup of the last N days at one a day (and the newest three at least)', () => {
    expect(keptUnderRule(rule({ retentionDays: 30 }), DAY, NOW, 'UTC')).toBe(31);
    expect(keptUnderRule(rule({ retentionDays: 1 }), DAY, NOW, 'UTC')).toBe(3);
  });

  it('counts the calendar rules: 7 daily and 4 weekly of daily backups keep 10 (a week overlaps the days)', () => {
    const kept = keptUnderRule(rule({ keepDaily: 7, keepWeekly: 4 }), DAY, NOW, 'UTC');
    expect(kept).toBeGreaterThanOrEqual(10);
    expect(kept).toBeLessThanOrEqual(11);
  });

  it('is null when the rule keeps everything', () => {
    expect(keptUnderRule(rule({ retentionDays: 0 }), DAY, NOW, 'UTC')).toBeNull();
  });
});

describe('projectedBytes', () => {
  it("is the kept count times the newest archive's size plus the backups that are not this installation's", () => {
    const archives = [...daily([100, 200]), { sizeBytes: 50, createdAt: NOW, own: false }];
    expect(projectedBytes(archives, archiveGrowth(archives, NOW), 10)).toBe(50 + 10 * 200);
    expect(projectedBytes(archives, archiveGrowth(archives, NOW), null)).toBeNull();
  });
});
