/** Why an age file could not be decrypted (or a key not parsed); `reason` is stable, the message is for people. */
export type AgeErrorReason =
  /** The input does not start with the age v1 header line: not an age file (a plain .tar.gz, say). */
  | 'not-age'
  /** The header is malformed (bad stanza, bad base64, a header longer than any real one). */
  | 'header-invalid'
  /** None of the identities given opens any X25519 stanza of the header. */
  | 'no-matching-identity'
  /** The header's MAC does not match (the header was changed, or the file key is wrong). */
  | 'header-mac'
  /**
   * A payload chunk fails authentication (a changed byte): `chunk` says which (0-based). Also the last piece
   * of a file cut in the middle of a chunk: to the reader it is a final chunk whose tag does not match, which
   * a changed byte makes too, so the message says both.
   */
  | 'damaged'
  /**
   * The file provably ends early: inside the header or nonce, or at a chunk boundary before the chunk flagged
   * last (a cut-off upload or download); or it has a whole chunk's worth of bytes after its last chunk.
   */
  | 'truncated'
  /** A key or recipient string that is not one (`AGE-SECRET-KEY-1...`, `age1...`). */
  | 'key-invalid';

export class AgeError extends Error {
  constructor(
    readonly reason: AgeErrorReason,
    message: string,
    readonly chunk?: number,
  ) {
    super(message);
    this.name = 'AgeError';
  }
}
