import { describe, expect, it } from '@jest/globals';
import { backupCount, formatUsd, frequency, priceValue } from './costs';

describe('formatUsd', () => {
  it('shows cents from one cent up, six decimals below, and never rounds a small cost to nothing', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(4.5)).toBe('$4.50');
    expect(formatUsd(0.0123)).toBe('$0.01');
    expect(formatUsd(0.000186)).toBe('$0.000186');
    expect(formatUsd(0.0000001)).toBe('under $0.000001');
    expect(formatUsd(null)).toBe('–');
  });
});

describe('words', () => {
  it('counts backups and says how often they are made', () => {
    expect(backupCount(1)).toBe('1 backup');
    expect(backupCount(3)).toBe('3 backups');
    expect(frequency(1)).toBe('1.0 a day');
    expect(frequency(1 / 7)).toBe('one every 7 days');
  });

  it('reads a price as typed, with or without a dollar sign, and refuses what is not a number', () => {
    expect(priceValue('0.015')).toBe(0.015);
    expect(priceValue('$4.50')).toBe(4.5);
    expect(priceValue(' 5 ')).toBe(5);
    expect(priceValue('')).toBeNull();
    expect(priceValue('-1')).toBeNull();
    expect(priceValue('1e3')).toBeNull();
  });
});
