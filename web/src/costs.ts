/** The Cost and capacity section's words and numbers (plain functions: tested in costs.spec.ts). */

/**
 * US dollars: cents from one cent up; below that six decimals, since a small installation's monthly cost is a
 * fraction of a cent and "$0.00" would hide that it is counted.
 */
export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (value === 0) return '$0.00';
  if (value >= 0.01) return `$${value.toFixed(2)}`;
  if (value < 0.000001) return 'under $0.000001';
  return `$${value.toFixed(6)}`;
}

/** "1 backup", "3 backups". */
export function backupCount(n: number): string {
  return `${n.toLocaleString()} ${n === 1 ? 'backup' : 'backups'}`;
}

/** "1.0 a day", "every 7 days" for less than one a day. */
export function frequency(perDay: number): string {
  if (perDay >= 1) return `${perDay.toLocaleString(undefined, { maximumFractionDigits: 1, minimumFractionDigits: 1 })} a day`;
  return `one every ${Math.round(1 / perDay).toLocaleString()} days`;
}

/** A price field's text as a number of dollars, or null when it is not one (the API says what is allowed). */
export function priceValue(text: string): number | null {
  const trimmed = text.trim().replace(/^\$/, '');
  if (trimmed === '' || !/^\d*\.?\d+$|^\d+\.$/.test(trimmed)) return null;
  return Number(trimmed);
}
