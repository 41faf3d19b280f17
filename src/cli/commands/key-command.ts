import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { targetLabel } from '../../common/backup-target.js';
import { fsyncPath, placeWithoutReplacing } from '../../common/fs/durable-fs.js';
import { encryptionStatusDto } from '../../encryption/dto/encryption-status.dto.js';
import type { EncryptionStatus } from '../../encryption/encryption-status.js';
import type { ParsedCommand } from '../cli-arguments.js';
import { CliError } from '../cli-error.js';
import { EXIT, type ExitCode } from '../cli-exit.js';
import type { CliOutput } from '../cli-output.js';
import { InstallationEncryption } from '../installation-encryption.js';

/**
 * `key show` and `key export`: a target's keys as the installation in DIR holds them, through the service's
 * own EncryptionKeys (the state machine behind /api/encryption/{target}) on DIR/.encryption.db. `show` never
 * prints an identity; `export` is the API's export action (EncryptionKeys.exportKey, recorded in the audit
 * log before the key leaves) writing to a new owner-only file instead of an HTTP answer.
 */
export async function keyCommand(command: ParsedCommand, raw: Record<string, string | undefined>, out: CliOutput): Promise<ExitCode> {
  const dataDir = path.resolve(command.dataDir as string);
  const target = (command.location as { target: string }).target;
  if (!fs.existsSync(dataDir)) throw new CliError(`--data-dir ${dataDir} does not exist: give the service's DATA_DIR`);
  const installation = await InstallationEncryption.open(dataDir, raw);
  if (!installation) {
    throw new CliError(`${dataDir} holds no encryption keys (no .encryption.db): encryption was never turned on there, or this is not the service's DATA_DIR`);
  }
  try {
    const status = await installation.keys.status(target);
    if (command.keyAction === 'show') return show(status, dataDir, out);
    return await exportKeys(installation, status, command, out);
  } finally {
    await installation.close();
  }
}

function show(status: EncryptionStatus, dataDir: string, out: CliOutput): ExitCode {
  out.document({ ok: true, data_dir: dataDir, ...encryptionStatusDto(status) });
  out.line(
    `Encryption of ${targetLabel(status.target)} backups in ${dataDir}: ${status.state}${status.writeOnly ? ' (write-only: the server holds no identity)' : ''}`,
  );
  if (status.recipients.length) out.line(`New backups are encrypted to: ${status.recipients.join(', ')}`);
  for (const key of status.keys) {
    const role = key.current ? 'current' : key.pending ? 'awaiting confirmation' : key.retiredAt ? `retired ${key.retiredAt.toISOString()}` : 'unconfirmed';
    out.line(`  ${key.recipient}  ${role}, made ${key.createdAt.toISOString()}, ${key.identityStored ? 'identity held (sealed)' : 'identity not held'}`);
  }
  if (status.keys.length === 0) out.line('  No keys.');
  return EXIT.ok;
}

/**
 * Every key whose identity the installation holds (or --recipient's alone), each export recorded in the audit
 * log, written to a new file: first to a temporary file beside it (0600, fsynced), then linked to its name,
 * which fails when the name exists, so a file is never overwritten and never left half-written (a kill -9
 * leaves at most the temporary `.FILE.partial-*`, never the named file).
 */
async function exportKeys(installation: InstallationEncryption, status: EncryptionStatus, command: ParsedCommand, out: CliOutput): Promise<ExitCode> {
  const output = path.resolve(command.output as string);
  if (fs.existsSync(output)) throw new CliError(`${output} already exists: key export never overwrites a file. Give a new file name with --output`);
  if (!fs.existsSync(path.dirname(output))) throw new CliError(`The folder ${path.dirname(output)} does not exist: create it, or give another --output`);
  const wanted =
    command.recipient !== undefined ? [command.recipient] : status.keys.filter((key) => key.identityStored && !key.pending).map((key) => key.recipient);
  if (wanted.length === 0) {
    // exportKey says why there is nothing (off, awaiting confirmation, write-only), in the service's words.
    wanted.push(status.keyRecipient ?? '');
  }
  installation.requireMasterKey();
  const exported: Array<{ recipient: string; identity: string }> = [];
  for (const recipient of wanted) {
    exported.push(await installation.keys.exportKey(status.target, recipient || undefined, (key) => installation.recordExport(status.target, key)));
  }
  const at = new Date().toISOString();
  const text = exported
    .map(
      ({ recipient, identity }) =>
        `# Sentinel Backup recovery key of ${targetLabel(status.target)} backups (target ${status.target}), exported ${at}\n# public key: ${recipient}\n${identity}\n`,
    )
    .join('');
  await writeNewFile(output, text);
  out.document({ ok: true, target: status.target, output, recipients: exported.map((key) => key.recipient) });
  out.line(`Wrote the recovery key${exported.length > 1 ? 's' : ''} of ${exported.map((key) => key.recipient).join(', ')} to ${output} (mode 0600).`);
  out.line('Keep it apart from the server (a password manager, a printout). Decrypt a backup by hand with:');
  out.line(`  age -d -i ${output} sentinel-backup-....tar.gz.age | tar xz`);
  return EXIT.ok;
}

/**
 * The durable write the folder adapter uses: a 0600 temporary file, fsynced, placed without replacing
 * (placeWithoutReplacing: a hard link, or on a file system without them, such as a FAT USB stick, a rename
 * after an existence check); the temporary file never outlives the call.
 */
async function writeNewFile(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.partial-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await fs.promises.open(temp, 'wx', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    let placed: boolean;
    try {
      placed = await placeWithoutReplacing(temp, file);
    } catch (error) {
      throw new CliError(`Cannot write ${file}: ${(error as Error).message}`);
    }
    if (!placed) throw new CliError(`${file} already exists: key export never overwrites a file. Give a new file name with --output`);
    await fsyncPath(path.dirname(file));
  } finally {
    await fs.promises.rm(temp, { force: true });
  }
}
