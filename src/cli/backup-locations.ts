import fs from 'node:fs';
import path from 'node:path';
import { Clock } from '../common/clock.js';
import { parseEnvironment } from '../config/environment.js';
import { FolderStorage } from '../storage/folder-storage.js';
import type { S3SettingNames } from '../storage/s3-connection.js';
import { S3TargetStorage } from '../storage/s3-target-storage.js';
import { StorageOptions } from '../storage/storage-options.js';
import type { LocationOptions } from './cli-arguments.js';
import { CliError } from './cli-error.js';
import { ArchiveFileSource, type BackupSource, StorageBackupSource } from './backup-source.js';

/** Cloudflare's account IDs, as the service checks r2_account_id. */
const ACCOUNT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/i;

/** How S3 errors name what to change when the bucket was given on the command line. */
const COMMAND_LINE_NAMES: S3SettingNames = {
  label: 'The bucket',
  target: 'cli',
  endpoint: '--endpoint',
  endpointOrAccount: '--endpoint (or --account-id)',
  accessKeyId: 'R2_ACCESS_KEY_ID (or AWS_ACCESS_KEY_ID)',
  secretAccessKey: 'R2_SECRET_ACCESS_KEY (or AWS_SECRET_ACCESS_KEY)',
  bucket: '--bucket',
  where: 'the environment (credentials) and the command line (--endpoint, --account-id, --bucket, --prefix)',
};

/** The backups' place the options name, opened. */
export async function openBackupSource(location: LocationOptions, raw: Record<string, string | undefined>): Promise<BackupSource> {
  switch (location.kind) {
    case 'file':
      return new ArchiveFileSource(location.file);
    case 'target':
      if (!fs.existsSync(location.dataDir)) throw new CliError(`--data-dir ${path.resolve(location.dataDir)} does not exist: give the service's DATA_DIR`);
      // Loaded only here: the service's settings, targets and storage modules (Nest, TypeORM).
      return (await import('./configured-target.js')).openConfiguredTarget(path.resolve(location.dataDir), location.target, raw);
    case 'dir':
      return folderSource(path.resolve(location.dir), raw);
    case 'bucket':
      return bucketSource(location, raw);
    case 'none':
      throw CliError.usage('Say where the backups are');
  }
}

function storageOptions(raw: Record<string, string | undefined>): StorageOptions {
  // DATA_DIR only satisfies the parser; the storage options do not depend on it.
  return StorageOptions.fromEnvironment(parseEnvironment({ ...raw, DATA_DIR: raw.DATA_DIR ?? process.cwd() }));
}

function folderSource(dir: string, raw: Record<string, string | undefined>): BackupSource {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new CliError(`The folder ${dir} does not exist: give the folder that holds the backups (sentinel-backup-*.tar.gz)`);
  }
  if (!stat.isDirectory()) throw new CliError(`${dir} is not a folder: give an archive file without --dir`);
  // Opened for reading only (no writing parts): the command line lists and reads backups here, nothing else.
  const storage = new FolderStorage('cli', '--dir', async () => dir, storageOptions(raw));
  return new StorageBackupSource(storage, dir, 'folder');
}

/** Credentials only from the environment: R2's names first, then the AWS SDK's. */
function credentials(raw: Record<string, string | undefined>): { accessKeyId: string; secretAccessKey: string } {
  const r2 = { accessKeyId: raw.R2_ACCESS_KEY_ID ?? '', secretAccessKey: raw.R2_SECRET_ACCESS_KEY ?? '' };
  if (r2.accessKeyId || r2.secretAccessKey) {
    if (!r2.accessKeyId || !r2.secretAccessKey) throw CliError.usage('Set both R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY in the environment, not one of them');
    return r2;
  }
  const aws = { accessKeyId: raw.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: raw.AWS_SECRET_ACCESS_KEY ?? '' };
  if (!aws.accessKeyId || !aws.secretAccessKey) {
    throw CliError.usage(
      "The bucket's credentials go in the environment: R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY (an R2 API token: Cloudflare dashboard → R2 → Manage API tokens), " +
        'or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  }
  return aws;
}

function bucketSource(location: Extract<LocationOptions, { kind: 'bucket' }>, raw: Record<string, string | undefined>): BackupSource {
  if (location.accountId !== undefined && !ACCOUNT_ID.test(location.accountId)) {
    throw CliError.usage(`--account-id '${location.accountId}' is not a Cloudflare account ID (the 32-character hex ID in the dashboard's R2 overview)`);
  }
  const endpoint = location.endpoint ?? `https://${location.accountId}.r2.cloudflarestorage.com`;
  const settings = {
    accountId: '',
    endpoint,
    bucket: location.bucket,
    prefix: location.prefix,
    objectLock: null,
    names: COMMAND_LINE_NAMES,
    ...credentials(raw),
  };
  const options = storageOptions(raw);
  // Opened for reading only (no upload journal): the command line lists and reads backups here, nothing else.
  const storage = new S3TargetStorage('cli', 'Bucket', async () => settings, options, undefined, new Clock());
  const where = `${endpoint.replace(/\/+$/, '')}/${location.bucket}${location.prefix ? `/${location.prefix}` : ''}`;
  return new StorageBackupSource(storage, where, 'bucket', async () => storage.dropConnection());
}
