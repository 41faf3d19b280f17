import { ErrorCode } from '../../common/errors/error-code.js';

/**
 * What to do about a failure, by its error code: the notification's `hint`. The error's own message often
 * says it already, for its one case; the hint is the general step, so a reader who sees only the title and
 * the hint (a phone's lock screen) knows where to start.
 */
const HINTS: Partial<Record<string, string>> = {
  [ErrorCode.StorageAccessDenied]:
    'Check the R2 access key and secret in the settings (they may have expired or been revoked) and that the key may write to the bucket; then run a backup.',
  [ErrorCode.StorageUnavailable]:
    'Check that the storage endpoint is reachable from this server (network, DNS, the provider’s status page); the next run tries again.',
  [ErrorCode.StorageTimeout]: 'The storage did not answer in time: check the network and the provider’s status; the next run tries again.',
  [ErrorCode.StorageNotConfigured]: 'Check the storage settings (bucket, endpoint, folder) and use Test Connection on the admin page.',
  [ErrorCode.TargetNotConfigured]: 'Fill in the target’s settings on the admin page (or turn the target off); until then nothing is backed up there.',
  [ErrorCode.InsufficientDiskSpace]: 'Free up disk space, or move DATA_DIR or the local backup folder to a larger disk; then run a backup.',
  [ErrorCode.DatabaseDamaged]:
    'A database is damaged or missing and is not backed up, so that rotation cannot delete the good backups: restore it from the newest good backup (docs/restore.md).',
  [ErrorCode.DatabaseUnavailable]: 'The databases were not open: check the service’s log for the start-up error.',
  [ErrorCode.SecretUnreadable]: 'A stored secret cannot be decrypted with this SENTINEL_MASTER_KEY: set the right key, or enter the secret again.',
  [ErrorCode.EncryptionKeyRequired]: 'Provide the age identity of the backup’s recipient to verify or restore it.',
  [ErrorCode.EncryptionKeyWrong]: 'The identity at hand does not open the backup: use the one of the recipient the message names.',
  [ErrorCode.BackupInterrupted]: 'The service stopped during the backup; run it again.',
  [ErrorCode.BackupFailed]: 'See the log lines below; run the backup again once the cause is fixed.',
  [ErrorCode.ReplicationFailed]:
    'A copy did not arrive as it left and was deleted from the replica: check the replica’s storage; the next replication (or POST /api/targets/{id}/sync) copies it again.',
  [ErrorCode.Internal]: 'An unexpected error: see the log lines below, and report it if it repeats.',
};

export function hintFor(code: string | null): string | null {
  return (code && HINTS[code]) ?? null;
}
