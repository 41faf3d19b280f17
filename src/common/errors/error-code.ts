/** Every error a caller can get from this service, by code. The HTTP status is chosen in one place: DomainErrorFilter. */
export enum ErrorCode {
  InvalidInput = 'INVALID_INPUT',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  Unauthorized = 'UNAUTHORIZED',
  TooManyAttempts = 'TOO_MANY_ATTEMPTS',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  CrossSiteRequest = 'CROSS_SITE_REQUEST',
  HostNotAllowed = 'HOST_NOT_ALLOWED',
  /** A download link (GET …/download-link?ticket=) that is unknown, used, expired, or for another file: the message says which. */
  DownloadLinkInvalid = 'DOWNLOAD_LINK_INVALID',
  SettingNotFound = 'SETTING_NOT_FOUND',
  SettingInvalid = 'SETTING_INVALID',
  SecretUnreadable = 'SECRET_UNREADABLE',
  StorageNotConfigured = 'STORAGE_NOT_CONFIGURED',
  /** A backup asked of a target whose settings are incomplete: refused before any work. */
  TargetNotConfigured = 'TARGET_NOT_CONFIGURED',
  /** A change of a target's place, or its removal, while a backup or rotation uses it: the answer names the job to wait for. */
  TargetBusy = 'TARGET_BUSY',
  StorageUnavailable = 'STORAGE_UNAVAILABLE',
  StorageAccessDenied = 'STORAGE_ACCESS_DENIED',
  StorageTimeout = 'STORAGE_TIMEOUT',
  ObjectNotFound = 'OBJECT_NOT_FOUND',
  /** An upload under a key the store already holds: stores never replace an object, so nothing was written. */
  ObjectExists = 'OBJECT_EXISTS',
  /** The store keeps the object because of a lock (S3 Object Lock retention, an R2 bucket lock rule): details say until when, when known. */
  ObjectLocked = 'OBJECT_LOCKED',
  BackupNameInvalid = 'BACKUP_NAME_INVALID',
  BackupNotFound = 'BACKUP_NOT_FOUND',
  BackupNotOwn = 'BACKUP_NOT_OWN',
  /** A delete of a backup that kept points (increments) need to be restored: details name them; nothing was deleted. */
  BackupHasDependents = 'BACKUP_HAS_DEPENDENTS',
  /** A delete of a backup that a running incremental backup job is building on (its chain's base..last): details name the job. */
  BackupChainInUse = 'BACKUP_CHAIN_IN_USE',
  /** An incremental backup asked of a target whose incremental policy is off: the message says how to turn it on. */
  IncrementalNotEnabled = 'INCREMENTAL_NOT_ENABLED',
  BackupInProgress = 'BACKUP_IN_PROGRESS',
  BackupFailed = 'BACKUP_FAILED',
  /** A job stopped by the service (shutdown) or by a request (POST /api/backup-jobs/{id}/cancel); only ever a job's error_code, never an HTTP answer. */
  BackupCancelled = 'BACKUP_CANCELLED',
  BackupInterrupted = 'BACKUP_INTERRUPTED',
  InsufficientDiskSpace = 'INSUFFICIENT_DISK_SPACE',
  /** A sync asked of a replica while a replication to it is running; the answer names its job. */
  ReplicationInProgress = 'REPLICATION_IN_PROGRESS',
  /** A copy to a replica that did not arrive as it left (size or SHA-256): nothing of it was kept. */
  ReplicationFailed = 'REPLICATION_FAILED',
  JobNotFound = 'JOB_NOT_FOUND',
  /** A cancel asked of a job that has already ended (succeeded, failed or cancelled). */
  JobNotRunning = 'JOB_NOT_RUNNING',
  /** A cancel asked of a job that cannot be cancelled (a replication): the message says why. */
  JobNotCancellable = 'JOB_NOT_CANCELLABLE',
  ArchiveInvalid = 'ARCHIVE_INVALID',
  RestoreInProgress = 'RESTORE_IN_PROGRESS',
  /** A restore staging stopped because its request was closed (the page's Cancel); nothing was staged. Only ever a run's error_code: the asker is gone. */
  RestoreCancelled = 'RESTORE_CANCELLED',
  VerificationInProgress = 'VERIFICATION_IN_PROGRESS',
  RestoreNotStaged = 'RESTORE_NOT_STAGED',
  DatabaseUnavailable = 'DATABASE_UNAVAILABLE',
  DatabaseDamaged = 'DATABASE_DAMAGED',
  /** Encryption (issue 14). A request to /api/encryption that the target's state does not allow (confirm with nothing to confirm, export in write-only mode). */
  EncryptionStateConflict = 'ENCRYPTION_STATE_CONFLICT',
  /** A recipient (`age1...`) or an identity / recovery key (`AGE-SECRET-KEY-1...`) that is not one. */
  EncryptionKeyInvalid = 'ENCRYPTION_KEY_INVALID',
  /** An encrypted backup whose key the server does not hold and the request did not supply: says which recipient it needs. */
  EncryptionKeyRequired = 'ENCRYPTION_KEY_REQUIRED',
  /** The identity supplied (or held) does not open the archive: says which recipient it needs. */
  EncryptionKeyWrong = 'ENCRYPTION_KEY_WRONG',
  /** An encrypted archive this installation has no record of writing (or whose bytes differ from the record): restore needs "confirm_unknown": true. */
  ArchiveNotMadeHere = 'ARCHIVE_NOT_MADE_HERE',
  /** Notifications (issue 15): no channel has that id. */
  ChannelNotFound = 'CHANNEL_NOT_FOUND',
  Internal = 'INTERNAL',
}
