import { Duplex, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { createAgeDecryptStream } from '../../encryption/age/age-decrypt-stream.js';
import { AgeError } from '../../encryption/age/age-error.js';
import { AGE_HEADER_LINE, looksLikeAge } from '../../encryption/age/age-format.js';
import { archiveInvalid } from './archive-problem.js';
import type { ArchiveReadContext, ArchiveReadStep } from './archive-read-step.js';
import { isEncryptedBackupName } from '../../archive-format/backup-filename.js';
import { describeRecipients } from './describe-recipients.js';

/** Bytes looked at before a read is let through: enough for the age header line and gzip's magic number. */
const HEAD_BYTES = AGE_HEADER_LINE.length;

/**
 * The read step of age encryption: an archive named `.tar.gz.age` is decrypted (streamed, with the
 * identities the caller supplied in the read's keys) before gunzip; an archive named `.tar.gz` passes
 * through unchanged. Either way its first bytes must agree with its name, so a swapped or renamed object
 * is refused with its own check instead of failing later as "not gzip": a `.tar.gz` that is age-encrypted
 * ('unexpected-encryption'), a `.tar.gz.age` that is a plain gzip ('missing-encryption').
 *
 * What age finds is told in the restore's terms: no identity opens the header → ENCRYPTION_KEY_WRONG (or
 * ENCRYPTION_KEY_REQUIRED when none was given), naming the recipients the archive needs when known; a
 * damaged, cut-short or malformed file → ArchiveInvalid ('age', with details.reason). age authenticates
 * each 64 KiB chunk before releasing its plaintext, so nothing changed reaches the extractor, and a cut
 * is found at the end, before the extraction can finish: the pipeline fails, and the unpacker removes its work folder.
 */
export class AgeDecryptionStep implements ArchiveReadStep {
  readonly name = 'age decryption';

  create(context: ArchiveReadContext): Duplex {
    return isEncryptedBackupName(context.archive) ? decrypting(context) : new PlainArchiveGuard(context.archive);
  }
}

/** A plain archive's bytes, unchanged, once its first bytes show it is not an age file. */
class PlainArchiveGuard extends Transform {
  private head: Buffer[] | undefined = [];
  private headBytes = 0;

  constructor(private readonly archive: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.head) return callback(null, chunk);
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < HEAD_BYTES) return callback();
    this.release(callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.head) this.release(callback);
    else callback();
  }

  private release(callback: TransformCallback): void {
    const head = Buffer.concat(this.head ?? []);
    this.head = undefined;
    if (looksLikeAge(head)) {
      return callback(
        archiveInvalid(
          'unexpected-encryption',
          this.archive,
          `${this.archive} is named .tar.gz but encrypted with age: its name was changed, or the object was replaced. ` +
            'Restore it under its .tar.gz.age name, with its recovery key',
        ),
      );
    }
    callback(null, head);
  }
}

/** The plaintext of an age-encrypted archive, once its first bytes show it is one. */
function decrypting(context: ArchiveReadContext): Duplex {
  const { archive } = context;
  const identities = context.keys?.identities ?? [];
  return Duplex.from(async function* (source: AsyncIterable<Buffer>) {
    const input = source[Symbol.asyncIterator]();
    const head = await readHead(input);
    if (!looksLikeAge(head)) throw notAge(archive, head);
    if (identities.length === 0) throw keyRequired(context);
    const decrypt = createAgeDecryptStream(identities);
    const feeding = pipeline(replay(head, input), decrypt);
    // Its failure is the decrypt stream's, which the loop below sees.
    feeding.catch(() => undefined);
    try {
      for await (const chunk of decrypt) yield chunk as Buffer;
      await feeding;
    } catch (error) {
      throw describeAgeFailure(error, context);
    } finally {
      decrypt.destroy();
    }
  });
}

async function readHead(input: AsyncIterator<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let bytes = 0;
  while (bytes < HEAD_BYTES) {
    const next = await input.next();
    if (next.done) break;
    parts.push(next.value);
    bytes += next.value.length;
  }
  return Buffer.concat(parts);
}

async function* replay(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (head.length) yield head;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

function notAge(archive: string, head: Buffer): DomainError {
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  return archiveInvalid(
    'missing-encryption',
    archive,
    gzip
      ? `${archive} is named .tar.gz.age: expected an age-encrypted archive, found a plain gzip. Its name was changed, or the object was replaced; nothing was restored`
      : `${archive} is named .tar.gz.age but is not an age-encrypted file (it does not start with "${AGE_HEADER_LINE.trim()}"); nothing was restored`,
  );
}

function keyRequired(context: ArchiveReadContext): DomainError {
  const recipients = context.keys?.recipients ?? null;
  return new DomainError(
    ErrorCode.EncryptionKeyRequired,
    `${context.archive} is encrypted ${describeRecipients(recipients)} and no key to decrypt it was given: supply its recovery key ("identity": "AGE-SECRET-KEY-1...")`,
    { file: context.archive, recipients },
  );
}

/** An AgeError as the restore tells it; any other error (a broken download, a cancel) as it is. */
export function describeAgeFailure(error: unknown, context: ArchiveReadContext): unknown {
  if (!(error instanceof AgeError)) return error;
  const { archive } = context;
  const recipients = context.keys?.recipients ?? null;
  const invalid = (message: string) =>
    new DomainError(ErrorCode.ArchiveInvalid, message, {
      check: 'age',
      file: archive,
      reason: error.reason,
      ...(error.chunk !== undefined && { chunk: error.chunk }),
    });
  switch (error.reason) {
    case 'no-matching-identity':
      return new DomainError(
        ErrorCode.EncryptionKeyWrong,
        `${archive} is encrypted ${describeRecipients(recipients)}, and none of the keys tried opens it: supply its recovery key ("identity": "AGE-SECRET-KEY-1...")`,
        { file: archive, recipients },
      );
    case 'damaged':
      // A file cut inside its last chunk looks the same to age as a changed byte there: its message then says both.
      return invalid(
        `${archive} is damaged at chunk ${error.chunk ?? '?'} of its encrypted data: the archive was changed after it was made` +
          (/last chunk/.test(error.message) ? ', or cut short inside that chunk (an interrupted upload or download?)' : '') +
          '. Nothing was restored; use another backup',
      );
    case 'truncated':
      return invalid(
        `${archive} is cut short: its encrypted data ends before its last chunk, or has data after it (an interrupted upload or download?). Nothing was restored; use another backup`,
      );
    case 'header-mac':
      return invalid(`${archive} has an age header that was changed after it was made (its MAC does not match). Nothing was restored; use another backup`);
    case 'header-invalid':
    case 'not-age':
      return invalid(`${archive} has a damaged age header: ${error.message}. Nothing was restored; use another backup`);
    case 'key-invalid':
      return new DomainError(ErrorCode.EncryptionKeyInvalid, `A key given to decrypt ${archive} is not an age recovery key: ${error.message}`, {
        file: archive,
      });
  }
}
