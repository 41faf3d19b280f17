import { Injectable } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { CONFIG_DATABASE } from '../settings/settings.repository.js';

/**
 * The registry as the command line needs it to read a DATA_DIR's settings and targets: config.db alone,
 * opened read-only, never created, never switched to WAL, and the other databases never opened. The
 * settings and targets services on top are the service's own, so secrets are decrypted and targets
 * resolved exactly as the service does it. Works beside a running service (a reader does not disturb it).
 */
@Injectable()
export class ReadOnlyConfigRegistry extends DatabaseRegistry {
  private source: Promise<DataSource> | undefined;

  override dataSource(name: string): Promise<DataSource> {
    if (name !== CONFIG_DATABASE) {
      return Promise.reject(new DomainError(ErrorCode.DatabaseUnavailable, `The command line reads only config.db, not ${name}.db`));
    }
    this.source ??= this.openConfig();
    return this.source;
  }

  override async close(): Promise<void> {
    const source = await this.source?.catch(() => undefined);
    this.source = undefined;
    if (source?.isInitialized) await source.destroy();
  }

  override async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private async openConfig(): Promise<DataSource> {
    const file = path.join(this.dataDir, `${CONFIG_DATABASE}.db`);
    if (!fs.existsSync(file)) {
      throw new DomainError(
        ErrorCode.DatabaseUnavailable,
        `${file} does not exist, so the targets configured there cannot be read. Name the backups' place directly: ` +
          '--endpoint URL (or --account-id ID) and --bucket NAME with the credentials in the environment, or --dir FOLDER',
      );
    }
    const source = new DataSource({ type: 'better-sqlite3', database: file, readonly: true, fileMustExist: true });
    await source.initialize();
    return source;
  }
}
