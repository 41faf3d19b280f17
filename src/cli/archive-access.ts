import { finished } from 'node:stream/promises';
import { isEncryptedBackupName } from '../archive-format/backup-filename.js';
import { createAgeDecryptStream } from '../encryption/age/age-decrypt-stream.js';
import { AgeError } from '../encryption/age/age-error.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { WrittenArchive } from '../encryption/archive-provenance.store.js';
import { isArchiveInvalid } from '../restore/archive-reader/archive-problem.js';
import type { StoredBytes } from '../restore/archive-reader/archive-read-pipeline.js';
import { describeRecipients } from '../restore/archive-reader/describe-recipients.js';
import type { ArchiveToUnpack } from '../restore/core/archive-unpacker.js';
import { describeDifference, matchesRecord } from '../restore/stored-archive-access.js';
import type { BackupSource } from './backup-source.js';
import type { ParsedCommand } from './cli-arguments.js';
import { CliError } from './cli-error.js';
import { EXIT } from './cli-exit.js';
import { readIdentityFiles } from './identity-files.js';
import { InstallationEncryption } from './installation-encryption.js';

/**
 * Whether this installation made the archive, as far as the command line can tell:
 * - made-here: DIR recorded writing it; its bytes are compared with the record while it is read;
 * - confirmed-unknown: DIR has records, not of this archive (or --confirm-unknown skips the comparison), and the user confirmed it;
 * - unchecked: DIR has no records (a new machine, or encryption never used there): the origin cannot be checked;
 * - not-asked: a verification or dry run, which changes nothing.
 */
export type ArchiveOrigin = 'made-here' | 'confirmed-unknown' | 'unchecked' | 'not-asked';

/** An archive of a source, ready for the restore core: with its keys and, for a restore, the check of its origin. */
export interface ArchiveAccess {
  archive: ArchiveToUnpack;
  encrypted: boolean;
  /** The recipients it is encrypted to, when known (the record of its upload, else its storage's metadata). */
  recipients: readonly string[] | null;
  origin: ArchiveOrigin;
  /**
   * Where the keys came from, for messages: "--identity FILE", "the keys of target 'r2' in DIR". Empty for an
   * encrypted archive only with `keysOptional` and no key at hand: `archive` then cannot be opened past its age layer.
   */
  keySources: string[];
}

/**
 * The keys and checks the service's StoredArchiveAccess gives a restore, for the command line's sources
 * (any bucket, folder or file, and a DATA_DIR that may be empty): an encrypted archive's identities from
 * the `--identity` files, then from the keyring of `--data-dir DIR --target ID` (InstallationEncryption);
 * and, for a restore (`restore: true`), the made-here check against DIR's records of the archives it wrote
 * (ArchiveProvenance, with the service's matchesRecord). Every refusal here comes before any download and changes nothing.
 * `keysOptional` (download, whose inner checks are a bonus): no key at hand, or a keyring it cannot open, is no
 * refusal; the access then has no key sources.
 */
export async function openArchiveAccess(
  found: ArchiveToUnpack,
  source: BackupSource,
  command: ParsedCommand,
  raw: Record<string, string | undefined>,
  options: {
    restore: boolean;
    keysOptional?: boolean;
    /**
     * Where the key probe reads the archive's first bytes when `found` is not the stored archive (download: `found` is
     * the local file being written): with it, the keys at hand are tried before anything is fetched, so a wrong key
     * costs 64 KiB, not the whole download.
     */
    probe?: ArchiveToUnpack;
  },
): Promise<ArchiveAccess> {
  const name = found.name;
  const encrypted = isEncryptedBackupName(name);
  const fromFiles = readIdentityFiles(command.identityFiles);
  const target = command.location.kind === 'target' ? command.location.target : undefined;
  const dataDir = command.location.kind === 'target' ? command.location.dataDir : command.dataDir;
  const installation = dataDir !== undefined && (encrypted || options.restore) ? await InstallationEncryption.open(dataDir, raw) : undefined;
  try {
    const records = installation && options.restore ? await recordsOf(installation, name, target) : [];
    const recipients = records.find((r) => r.recipients)?.recipients ?? (encrypted ? await source.recipients(name) : null);
    const keySources = fromFiles.length ? ['--identity'] : [];
    let identities = fromFiles;
    if (encrypted && installation && target !== undefined) {
      try {
        const held = await installation.identitiesFor(target, recipients ?? []);
        if (held.length) keySources.push(`the keys of target '${target}' in ${installation.dataDir}`);
        identities = [...new Set([...fromFiles, ...held])];
      } catch (error) {
        // A missing master key matters only when nothing else brings a key.
        if (!(error instanceof CliError) || (fromFiles.length === 0 && !options.keysOptional)) throw error;
      }
    }
    if (encrypted && identities.length === 0 && !options.keysOptional) throw keyRequired(name, recipients, target !== undefined && installation !== undefined);
    const probe = options.restore ? found : identities.length > 0 ? options.probe : undefined;
    if (encrypted && probe && !(await opensHeader(probe, identities))) throw wrongKey({ archive: found, recipients, keySources });
    const origin = options.restore ? await originOf(installation, name, records, command.confirmUnknown) : 'not-asked';
    const compareWith = origin === 'made-here' ? records : [];
    const archive: ArchiveToUnpack = {
      name,
      open: async (signal) => ({
        ...(await found.open(signal)),
        ...(encrypted && { keys: { identities, recipients } }),
        ...(compareWith.length && { checkStored: (stored: Required<StoredBytes>) => requireRecorded(name, compareWith, stored) }),
      }),
    };
    return { archive, encrypted, recipients, origin, keySources };
  } finally {
    await installation?.close();
  }
}

async function recordsOf(installation: InstallationEncryption, name: string, target: string | undefined): Promise<WrittenArchive[]> {
  if (target === undefined) return installation.provenance.findEverywhere(name);
  const record = await installation.provenance.find(target, name);
  return record ? [record] : [];
}

/** No silent swaps: an archive DIR has no record of writing needs --confirm-unknown, once DIR has records to compare with. */
async function originOf(
  installation: InstallationEncryption | undefined,
  name: string,
  records: WrittenArchive[],
  confirmUnknown: boolean,
): Promise<ArchiveOrigin> {
  if (records.length) return confirmUnknown ? 'confirmed-unknown' : 'made-here';
  const count = installation ? await installation.provenance.count() : 0;
  if (count === 0) return 'unchecked';
  if (confirmUnknown) return 'confirmed-unknown';
  throw new CliError(
    `${installation!.dataDir} holds the records of the ${count} archive(s) this installation wrote, and ${name} is not among them: ` +
      'anyone who can write to the storage (or holds a public recipient of your keys) can make a valid archive. ' +
      'Nothing was changed. If you trust it (made by hand, by another installation, or before this one kept records), run the restore again with --confirm-unknown',
  );
}

function requireRecorded(name: string, records: WrittenArchive[], stored: Required<StoredBytes>): void {
  if (records.some((record) => matchesRecord(record, stored))) return;
  throw new CliError(
    `The stored archive ${name} is not the one this installation wrote: replaced? (${describeDifference(records[0], stored)}). ` +
      'Nothing was changed. If you trust it, run the restore again with --confirm-unknown',
  );
}

/** How much of an archive the key probe reads: more than any real age header (a few hundred bytes) and its nonce. */
const PROBE_BYTES = 64 * 1024;

/**
 * Whether one of `identities` opens the archive's age header, tried before a restore touches DATA_DIR (its lock,
 * its installation id) so that a wrong key changes nothing at all: the archive's first bytes only, through the
 * service's own decryptor (createAgeDecryptStream), whose verdict on a header it could open is the cut-off end
 * (truncated, or a damaged last chunk); any other problem (not age, a damaged header) is left to the restore's checks, which name it.
 */
async function opensHeader(found: ArchiveToUnpack, identities: readonly string[]): Promise<boolean> {
  const reading = new AbortController();
  const head: Buffer[] = [];
  let bytes = 0;
  const { body } = await found.open(reading.signal);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      head.push(chunk);
      bytes += chunk.length;
      if (bytes >= PROBE_BYTES) break;
    }
  } finally {
    reading.abort();
    body.destroy();
  }
  const decrypt = createAgeDecryptStream(identities);
  decrypt.resume();
  const outcome = finished(decrypt).then(
    () => undefined,
    (error: unknown) => error,
  );
  decrypt.end(Buffer.concat(head));
  const error = await outcome;
  return !(error instanceof AgeError && error.reason === 'no-matching-identity');
}

function keyRequired(name: string, recipients: readonly string[] | null, triedKeyring: boolean): CliError {
  const which = recipients?.length ? `the recovery key of ${recipients.join(' or ')}` : 'its recovery key';
  return new CliError(
    `${name} is encrypted ${describeRecipients(recipients)}; supply ${which} with --identity FILE (the key file saved when encryption was turned on, ` +
      `or written by sentinel-backup key export)${triedKeyring ? '. The installation holds no identity for it (write-only mode?)' : ''}`,
    EXIT.usage,
  );
}

/**
 * What the restore core threw, as the command line says it: a key that does not open the archive (exit 1,
 * naming the recipients it needs), an archive that fails a check (exit 3, naming the check); else as it is.
 */
export function describeArchiveFailure(error: unknown, access: ArchiveAccess): unknown {
  if (error instanceof DomainError && error.code === ErrorCode.EncryptionKeyWrong) return wrongKey(access);
  if (isArchiveInvalid(error)) {
    return new CliError(
      `Verification FAILED: ${error.details.check} (${error.details.file}): ${error.message}. Nothing was changed; use another backup (sentinel-backup list)`,
      EXIT.verificationFailed,
    );
  }
  return error;
}

export function wrongKey(access: Pick<ArchiveAccess, 'archive' | 'recipients' | 'keySources'>): CliError {
  const which = access.recipients?.length ? `the recovery key of ${access.recipients.join(' or ')}` : 'its recovery key';
  return new CliError(
    `${access.archive.name} is encrypted ${describeRecipients(access.recipients)}, and none of the keys given (${access.keySources.join(', ')}) opens it: ` +
      `supply ${which} with --identity FILE. Nothing was changed`,
  );
}
