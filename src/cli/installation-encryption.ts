import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditLog } from '../audit/audit-log.js';
import type { BackupTarget } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/app-config.js';
import { parseEnvironment } from '../config/environment.js';
import { ArchiveEncryption } from '../encryption/archive-encryption.service.js';
import { ArchiveProvenance } from '../encryption/archive-provenance.store.js';
import { EncryptionKeys } from '../encryption/encryption-keys.service.js';
import { IdentityVault } from '../encryption/identity-vault.js';
import { ENCRYPTION_DB_FILE, EncryptionDatabase } from '../encryption/store/encryption-database.js';
import { SecretCipher } from '../settings/secret-cipher.js';
import { MASTER_KEY_FILE } from '../settings/master-key.js';
import { CliError } from './cli-error.js';

/** How the audit log names the command line as the client of an action (the API records the TCP peer). */
const CLI_CLIENT = 'sentinel-backup';

/**
 * The encryption state of an installation's DATA_DIR, read with the service's own classes: its keyring
 * (EncryptionKeys, ArchiveEncryption: identities opened with the master key by IdentityVault, as the service
 * does), the records of the archives it wrote (ArchiveProvenance) and its audit log (AuditLog), in
 * DIR/.encryption.db and DIR/.audit.db. Nothing is created: with no `.encryption.db` there is nothing to read
 * (`open` answers undefined), and the master key is never generated (a missing one is an error naming it).
 * The files are SQLite in WAL mode, so this works beside a running service.
 */
export class InstallationEncryption {
  readonly keys: EncryptionKeys;
  readonly archives: ArchiveEncryption;
  readonly provenance: ArchiveProvenance;

  private constructor(
    readonly dataDir: string,
    private readonly db: EncryptionDatabase,
    private readonly config: AppConfig,
    private readonly hasMasterKey: boolean,
  ) {
    const vault = new IdentityVault(new SecretCipher(config));
    this.keys = new EncryptionKeys(db, vault, new Clock());
    this.archives = new ArchiveEncryption(db, vault);
    this.provenance = new ArchiveProvenance(db);
  }

  /** DIR's encryption state, or undefined when DIR has none (`.encryption.db` absent: a new machine, or encryption never used). */
  static async open(dataDir: string, raw: Record<string, string | undefined>): Promise<InstallationEncryption | undefined> {
    if (!fs.existsSync(path.join(dataDir, ENCRYPTION_DB_FILE))) return undefined;
    const env = parseEnvironment({ ...raw, DATA_DIR: dataDir });
    const config: AppConfig = { env };
    const db = new EncryptionDatabase(config);
    await db.onModuleInit();
    return new InstallationEncryption(dataDir, db, config, env.masterKey !== undefined || fs.existsSync(path.join(dataDir, MASTER_KEY_FILE)));
  }

  /** The identities the installation holds for `target`, those of `recipients` first; none in write-only mode. */
  async identitiesFor(target: BackupTarget, recipients: readonly string[]): Promise<string[]> {
    this.requireMasterKey();
    return this.archives.identitiesFor(target, recipients);
  }

  /** Before anything opens a sealed identity: the master key is read, never made (a new one would open nothing). */
  requireMasterKey(): void {
    if (this.hasMasterKey) return;
    throw new CliError(
      `The keys stored in ${this.dataDir} are sealed under its master key, which is not there: set SENTINEL_MASTER_KEY to it ` +
        `(or put back ${path.join(this.dataDir, MASTER_KEY_FILE)}), or give the recovery key with --identity FILE`,
    );
  }

  /**
   * Records a key's export in DIR's audit log as the API's export action does (`encryption.export`, the key's
   * recipient as its subject); throws when the entry cannot be written, and the key is then not handed out.
   */
  recordExport(target: BackupTarget, recipient: string): void {
    const log = new AuditLog(this.config, new Clock());
    try {
      log.recordOrThrow({
        action: 'encryption.export',
        target,
        subject: recipient,
        outcome: 'ok',
        status_code: null,
        error: null,
        client: CLI_CLIENT,
        user_agent: `sentinel-backup command line (user ${userName()}, pid ${process.pid})`,
        method: null,
        path: null,
      });
    } catch (error) {
      throw new CliError(
        `The key was not exported: its audit log entry could not be written (${(error as Error).message}). An export is never made unrecorded; ` +
          `check the disk of ${this.dataDir} (.audit.db), then retry`,
      );
    } finally {
      log.onModuleDestroy();
    }
  }

  close(): Promise<void> {
    return this.db.onModuleDestroy();
  }
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}
