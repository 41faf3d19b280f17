import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fsyncPath } from '../common/fs/durable-fs.js';
import { AppConfig } from '../config/app-config.js';
import { UPLOAD_JOURNAL_DIR_NAME } from '../common/fs/work-folder.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';

/** One started upload: enough to find its multipart upload again after a kill -9. */
export interface UploadRecord {
  format: 1;
  installation_id: string;
  process_token: string;
  pid: number;
  /** The endpoint URL and bucket (never credentials). */
  endpoint: string;
  bucket: string;
  key: string;
  /** r2_prefix at the time ('' for the bucket's root; absent in records of the first format, meaning ''): the object's key is prefix + key. */
  prefix?: string;
  /** The target's id (absent in records of earlier versions, which had only 'r2'): each target's start-up clean-up takes its own. */
  target?: string;
  /** Written before CreateMultipartUpload is sent: the upload was initiated at or after this time. */
  started_at: string;
}

export interface RecordedUpload {
  file: string;
  record: UploadRecord;
}

/**
 * The durable list of uploads to R2/S3 this installation has started and not finished. A record is
 * written and fsynced before an upload begins and removed once it completed or was aborted; what a
 * kill -9 leaves is found at the next start, which aborts exactly those multipart uploads (listed by
 * key and initiated after the record's time). An upload nobody recorded (another installation's) is
 * never touched.
 */
@Injectable()
export class S3UploadJournal {
  private readonly logger = new Logger('R2Storage');
  private readonly dir: string;

  constructor(
    config: AppConfig,
    private readonly identity: InstallationIdentity,
  ) {
    this.dir = path.join(config.env.dataDir, UPLOAD_JOURNAL_DIR_NAME);
  }

  /** Records an upload about to start; returns its record's file. Written atomically and fsynced. */
  async record(endpoint: string, bucket: string, key: string, prefix: string, target = 'r2'): Promise<string> {
    const record: UploadRecord = {
      format: 1,
      installation_id: this.identity.id,
      process_token: this.identity.processToken,
      pid: this.identity.pid,
      endpoint,
      bucket,
      key,
      prefix,
      target,
      started_at: new Date().toISOString(),
    };
    await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const name = `${Date.now()}-${randomBytes(6).toString('hex')}.json`;
    const file = path.join(this.dir, name);
    const temp = `${file}.tmp`;
    const handle = await fs.promises.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(record)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, file);
    await syncFolderBestEffort(this.dir);
    return file;
  }

  /** The upload finished or was aborted: its record goes. */
  async forget(file: string): Promise<void> {
    await fs.promises.rm(file, { force: true });
  }

  /** Records left by earlier processes (a running upload of this process is never among them). */
  async leftOver(): Promise<RecordedUpload[]> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found: RecordedUpload[] = [];
    for (const name of names) {
      const file = path.join(this.dir, name);
      if (name.endsWith('.json.tmp')) {
        // Killed while writing the record, before its upload started: nothing was sent.
        await fs.promises.rm(file, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const record = parseRecord(await fs.promises.readFile(file, 'utf8').catch(() => ''));
      if (!record || record.installation_id !== this.identity.id) {
        this.logger.warn(`Ignoring ${file}: not an upload record of this installation`);
        continue;
      }
      if (record.process_token === this.identity.processToken) continue;
      found.push({ file, record });
    }
    return found;
  }
}

function parseRecord(text: string): UploadRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<UploadRecord>;
    const strings = [r.installation_id, r.process_token, r.endpoint, r.bucket, r.key, r.started_at];
    if (r.format !== 1 || strings.some((s) => typeof s !== 'string') || Number.isNaN(Date.parse(String(r.started_at)))) return undefined;
    return r as UploadRecord;
  } catch {
    return undefined;
  }
}

/** Makes a rename durable: fsync of the folder, which some file systems refuse (the rename itself is atomic). */
async function syncFolderBestEffort(dir: string): Promise<void> {
  await fsyncPath(dir).catch(() => undefined);
}
