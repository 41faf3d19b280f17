/** A header value for an error message: quoted, control characters escaped, cut at 100 characters (it comes from the client). */
export function quoted(value: string | undefined, max = 100): string {
  if (value === undefined) return '(none)';
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}
