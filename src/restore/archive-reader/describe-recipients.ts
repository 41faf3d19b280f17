/** "for key age1..." / "for keys age1..., age1..." / "for a key ... no record of", for messages. */
export function describeRecipients(recipients: readonly string[] | null | undefined): string {
  if (!recipients?.length) return 'for a key this installation has no record of';
  return recipients.length === 1 ? `for key ${recipients[0]}` : `for keys ${recipients.join(', ')} (any one of them opens it)`;
}
