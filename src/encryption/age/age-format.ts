/** The first line of every age v1 file (https://age-encryption.org/v1). */
export const AGE_HEADER_LINE = 'age-encryption.org/v1\n';

/** Plaintext bytes per payload chunk (the last chunk may be shorter). */
export const AGE_CHUNK_SIZE = 64 * 1024;

/** True when `head` (the first bytes of a file, at least 22 of them) starts like an age v1 file. */
export function looksLikeAge(head: Buffer): boolean {
  return head.subarray(0, AGE_HEADER_LINE.length).toString('latin1') === AGE_HEADER_LINE;
}
