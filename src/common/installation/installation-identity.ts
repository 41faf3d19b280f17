import { Injectable } from '@nestjs/common';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppConfig } from '../../config/app-config.js';

/** The file in DATA_DIR that names this installation; created once, never changed. */
export const INSTALLATION_ID_FILE = '.installation-id';
const ID_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Who "we" are, for everything the service must prove is its own before it touches it: archives in a
 * shared bucket or folder, scratch and staging folders, `.partial` files and unfinished uploads.
 *
 * - `id`: the installation, a UUID kept in `DATA_DIR/.installation-id` (outside the managed databases,
 *   so a restore does not change who we are). It is not a secret: the API shows it.
 * - `processToken`: this process's run, random at every start, so a leftover can be told apart from
 *   something a running job of this same process is still writing.
 */
@Injectable()
export class InstallationIdentity {
  readonly id: string;
  readonly processToken = randomBytes(8).toString('hex');
  readonly pid = process.pid;
  readonly startedAt = new Date();

  constructor(config: AppConfig) {
    this.id = readOrCreateInstallationId(config.env.dataDir);
  }

  /**
   * A short tag that only this installation produces for `subject` (hex, `length` characters): stamped on
   * the names of temporary files so that a sweep can prove a file is its own before it removes it.
   */
  tag(subject: string, length = 8): string {
    return createHmac('sha256', this.id).update(subject).digest('hex').slice(0, length);
  }
}

/**
 * Reads `DATA_DIR/.installation-id`, creating it on first use (O_EXCL and fsync, so two processes
 * starting together agree on one id). A damaged file stops the start with what to do: a new id would
 * disown every backup this installation made.
 */
export function readOrCreateInstallationId(dataDir: string): string {
  const file = path.join(dataDir, INSTALLATION_ID_FILE);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    const fd = fs.openSync(file, 'wx', 0o600);
    try {
      fs.writeSync(fd, `${randomUUID()}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const text = fs.readFileSync(file, 'utf8').trim().toLowerCase();
  if (!ID_FORMAT.test(text)) {
    throw new Error(
      `The installation id file ${file} is damaged (expected a UUID). It tells this installation's backups from others': ` +
        "put back the id shown in your backups' metadata, or delete the file to start as a new installation",
    );
  }
  return text;
}
