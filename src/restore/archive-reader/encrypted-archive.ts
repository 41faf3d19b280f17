/** The suffix of an age-encrypted archive's name: `sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz.age`. */
export const ENCRYPTED_ARCHIVE_SUFFIX = '.age';

/** True when the archive's name says it is encrypted with age (what its bytes must then be). */
export function isEncryptedArchiveName(name: string): boolean {
  return name.endsWith(ENCRYPTED_ARCHIVE_SUFFIX);
}

/** "for key age1..." / "for keys age1..., age1..." / "for a key not known here", for messages. */
export function describeRecipients(recipients: readonly string[] | null | undefined): string {
  if (!recipients?.length) return 'for a key this installation has no record of';
  return recipients.length === 1 ? `for key ${recipients[0]}` : `for keys ${recipients.join(', ')} (any one of them opens it)`;
}
