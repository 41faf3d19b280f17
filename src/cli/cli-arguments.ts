import { parseArgs } from 'node:util';
import { CliError } from './cli-error.js';

export const COMMANDS = ['list', 'download', 'verify', 'restore', 'materialize', 'status', 'backup', 'key'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Where the backups are: one of these, as the options say. */
export type LocationOptions =
  | { kind: 'target'; dataDir: string; target: string }
  | { kind: 'bucket'; endpoint?: string; accountId?: string; bucket: string; prefix: string }
  | { kind: 'dir'; dir: string }
  | { kind: 'file'; file: string }
  | { kind: 'none' };

export interface ParsedCommand {
  command: CommandName;
  /** The backup named on the line: a name, `latest`, or an archive file's path. */
  backup?: string;
  location: LocationOptions;
  dataDir?: string;
  json: boolean;
  dryRun: boolean;
  /** backup: the targets named with --target (several allowed); empty: every enabled one. */
  targets?: string[];
  /** --identity: files of age identities (recovery keys) for an encrypted backup, never the keys themselves. */
  identityFiles: string[];
  /** --confirm-unknown: restore an archive this installation has no record of writing. */
  confirmUnknown: boolean;
  /** `key show` or `key export`. */
  keyAction?: KeyAction;
  /** download --output PATH (a file, or a folder to put it in); key export --output FILE. */
  output?: string;
  /** key export --recipient age1... */
  recipient?: string;
  /** materialize --out FILE: the full archive to write (a new file, never replaced). */
  out?: string;
}

export const KEY_ACTIONS = ['show', 'export'] as const;
export type KeyAction = (typeof KEY_ACTIONS)[number];

export type CliInvocation = { help: string } | ParsedCommand;

const LOCATION_HELP = `Where the backups are (one of):
  --data-dir DIR --target ID   a target configured in that DATA_DIR (its settings and credentials are read from DIR/config.db)
  --endpoint URL --bucket B [--prefix P]
  --account-id ID --bucket B [--prefix P]
                               an S3-compatible bucket (Cloudflare R2 by account ID); credentials only from the
                               environment: R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)
  --dir FOLDER                 a folder of backups (a local backup folder, a copy on a USB disk)
  (verify, restore and materialize also take an archive file's path in place of a name; an increment's file
  finds the other backups of its chain in the same folder)`;

const IDENTITY_HELP = `Encrypted backups (.tar.gz.age) need their recovery key, from one of:
  --identity FILE              a file of age identities (AGE-SECRET-KEY-1... lines, as age -i takes: the recovery key
                               file, or one written by sentinel-backup key export); repeatable. Never the key itself
                               as an argument: ps shows arguments to every user
  --data-dir DIR --target ID   the keys the installation in DIR holds for that target (decrypted with its master key:
                               SENTINEL_MASTER_KEY, else DIR/.master-key); not in write-only mode`;

const EXIT_HELP = `Exit codes: 0 ok, 1 failed (unknown backup, unreachable storage, restore not applied), 2 usage error,
3 verification failed, 4 refused because a running service holds the DATA_DIR.`;

export const HELP: Record<CommandName | 'main', string> = {
  main: `sentinel-backup: disaster recovery for Sentinel Backup, without the service.

Usage: sentinel-backup <command> [options]

Commands:
  list                        the backups, newest first, with time, age and size
  download <name|latest> [--output PATH]
                              the archive into a file, resumable, checked before it is kept
  verify <name|latest|file>   every restore check on a backup, a verdict per database
  restore <name|latest|file> --data-dir DIR [--dry-run]
                              restore a backup into a stopped service's DATA_DIR
  materialize <name|latest|file> --out FILE
                              write a backup (an increment rebuilt from its chain) as one ordinary full archive
  status --data-dir DIR       a staged restore, the last apply's outcome, the service's lock,
                              the newest backup per target
  backup --data-dir DIR [--target ID ...]
                              one backup of a stopped service's DATA_DIR (before an upgrade, from cron)
  key show|export --data-dir DIR --target ID
                              a target's encryption keys: state and recipients, or its recovery keys to a file

Options for every command: --json (output for scripts), --help
download, verify and restore show their progress on stderr: a bar on a terminal, plain lines otherwise
(with --json only on a terminal).

${LOCATION_HELP}

${EXIT_HELP}

Example, on an empty machine with only the bucket's credentials:
  R2_ACCESS_KEY_ID=... R2_SECRET_ACCESS_KEY=... npx sentinel-backup restore latest --account-id ACCOUNT --bucket sentinel-backups --data-dir ./data`,
  list: `Usage: sentinel-backup list <location> [--json]

Lists the backups, newest first: name, time (UTC), age and size.

${LOCATION_HELP}

Example:
  sentinel-backup list --dir /mnt/usb/sentinel-backups
  R2_ACCESS_KEY_ID=... R2_SECRET_ACCESS_KEY=... sentinel-backup list --account-id ACCOUNT --bucket sentinel-backups --json

${EXIT_HELP}`,
  download: `Usage: sentinel-backup download <name|latest> <location> [--output PATH] [--identity FILE] [--json]

Downloads a backup's archive (encrypted .tar.gz.age ones as they are stored) to PATH, by default the
backup's name in the current folder (PATH may be a folder to put it in); an existing file is never
replaced. It goes to PATH.partial first, with PATH.partial.json naming the object: when interrupted,
the same command continues from what PATH.partial has, and starts over (saying so) when the stored
object is another one now. Before it gets its name, the file is checked: its SHA-256 against the one
the service recorded when it wrote it (with --data-dir DIR --target ID), and every check verify
runs; an encrypted archive's only with its key (below), decrypted in a scratch folder: the file kept
is the encrypted one. A failed check keeps nothing and exits 3; a key that does not open the archive
keeps nothing and exits 1. Without a key, the inner checks are skipped (and said so).

${LOCATION_HELP}

${IDENTITY_HELP}

Example:
  R2_ACCESS_KEY_ID=... R2_SECRET_ACCESS_KEY=... sentinel-backup download latest --account-id ACCOUNT --bucket sentinel-backups --output /mnt/usb/
  sentinel-backup download sentinel-backup-2026-01-08-143022.tar.gz --data-dir /var/lib/sentinel --target r2
  sentinel-backup download latest --dir /mnt/usb/backups --identity ~/recovery-key.txt

${EXIT_HELP}`,
  verify: `Usage: sentinel-backup verify <name|latest|file> <location> [--identity FILE] [--json]

Runs every check a restore makes (the archive's structure and metadata, each database's checksum and
SQLite integrity check, the set of databases) in a scratch folder that is removed afterwards, and gives
a verdict per database. Changes nothing. Exits 3 when the backup would not restore, naming the failed check.
An increment (sentinel-incremental-...) is verified as it restores: rebuilt from its full backup and the
increments before it (from the same place), each link checked, then each rebuilt database compared with the
increment's checksum and checked with PRAGMA integrity_check; a missing or damaged link is named.

${LOCATION_HELP}

${IDENTITY_HELP}

Example:
  sentinel-backup verify latest --data-dir /var/lib/sentinel --target r2
  sentinel-backup verify ./sentinel-backup-2026-01-08-143022.tar.gz
  sentinel-backup verify ./sentinel-backup-2026-01-08-143022.tar.gz.age --identity ~/recovery-key.txt

${EXIT_HELP}`,
  materialize: `Usage: sentinel-backup materialize <name|latest|file> <location> --out FILE [--identity FILE] [--json]

Writes the point a backup restores as one ordinary full archive (the spec's layout: backup-metadata.json
first, then each <name>.db with its SHA-256), which tar xzf and sha256sum -c read without this tool. An
increment (sentinel-incremental-...) is rebuilt from its chain: its full backup and every increment after
it up to the one named, read from the same place, each checked; then each rebuilt database is compared
with the increment's checksum and passes PRAGMA integrity_check. A full backup is checked the same way and
written out again. FILE is a new file (never replaced), written whole or not at all: nothing is left at
FILE when a check fails (exit 3) or the command stops. The archive is plain (.tar.gz), even when the
backups are encrypted: keep it where the backups' own encryption would have protected them. The work
is done in a scratch folder under TMPDIR (room for the databases), removed afterwards.

${LOCATION_HELP}

${IDENTITY_HELP}

Example:
  sentinel-backup materialize sentinel-incremental-2026-12-03-091500.tar.gz --data-dir /var/lib/sentinel --target r2 --out ./point.tar.gz
  mkdir point && tar xzf point.tar.gz -C point && cd point && jq -r '.databases[] | (.checksum[7:] + "  " + .filename)' backup-metadata.json | sha256sum -c

${EXIT_HELP}`,
  restore: `Usage: sentinel-backup restore <name|latest|file> --data-dir DIR <location> [--identity FILE] [--confirm-unknown] [--dry-run] [--json]

Restores a backup into DIR, the DATA_DIR of a stopped service (or an empty folder on a new machine):
stages and checks it, then swaps every database in with the service's crash-safe journal, after a
safety copy of the current databases (DIR/pre-restore-backup-<time>/). Refused (exit 4) while a
running service holds DIR; a lock left by a process that is gone is recognised and taken over.
--dry-run shows each database's current and restored size and checksum and the backup's time, and
changes nothing. An increment (sentinel-incremental-...) is rebuilt from its chain first (its full backup
and the increments up to it, from the same place, each checked; a missing or damaged link is named and
nothing is changed), then restored exactly as a full backup is.

${LOCATION_HELP}
(--data-dir is also the destination; with --target the target's settings are read from DIR before the restore.)

${IDENTITY_HELP}

No silent swaps: when DIR holds the service's records of the archives it wrote (their SHA-256, in
DIR/.encryption.db) and the backup is not among them, or its bytes differ from the record, the restore
is refused (exit 1) unless --confirm-unknown says you trust it. With no records (a new machine) its
origin cannot be checked: the restore says so and goes on.

Example:
  R2_ACCESS_KEY_ID=... R2_SECRET_ACCESS_KEY=... sentinel-backup restore latest --account-id ACCOUNT --bucket sentinel-backups --data-dir ./data --dry-run
  R2_ACCESS_KEY_ID=... R2_SECRET_ACCESS_KEY=... sentinel-backup restore latest --account-id ACCOUNT --bucket sentinel-backups --data-dir ./data --identity ./recovery-key.txt
  sentinel-backup restore latest --data-dir /var/lib/sentinel --target local

${EXIT_HELP}`,
  key: `Usage: sentinel-backup key show --data-dir DIR --target ID [--json]
       sentinel-backup key export --data-dir DIR --target ID --output FILE [--recipient age1...] [--json]

The encryption keys the installation in DIR holds for a target (in DIR/.encryption.db, sealed under the
master key: SENTINEL_MASTER_KEY, else DIR/.master-key). Works while the service runs.
  show     the state (off, awaiting_confirmation, active), write-only mode, the recipients (age1...) and
           each key of the keyring: whether the server holds its identity. Never an identity.
  export   writes the recovery keys (AGE-SECRET-KEY-1... lines, with comments, as age-keygen writes them)
           of every key the server holds for the target, or of --recipient's alone, to FILE: a new file,
           mode 0600, never overwritten. Recorded in the service's audit log (DIR/.audit.db) as the
           API's export is. Decrypt a backup by hand with: age -d -i FILE sentinel-backup-....tar.gz.age | tar xz

Example:
  sentinel-backup key show --data-dir /var/lib/sentinel --target r2
  sentinel-backup key export --data-dir /var/lib/sentinel --target r2 --output ~/sentinel-recovery-keys.txt

${EXIT_HELP}`,
  status: `Usage: sentinel-backup status --data-dir DIR [--json]

Shows the state of DIR: a staged restore waiting for the next start, the last apply's outcome,
whether a service holds DIR's lock (and whether that process still runs), and the newest backup in
each target configured in DIR (name, time, age, size; a target that cannot be reached shows its error
and the rest is still shown). Reads only; works while the service runs.

Example:
  sentinel-backup status --data-dir /var/lib/sentinel --json

${EXIT_HELP}`,
  backup: `Usage: sentinel-backup backup --data-dir DIR [--target ID ...] [--json]

Makes one backup of DIR, the DATA_DIR of a stopped service, without starting it: before an upgrade,
or from cron on a machine that does not run the service. It is the service's own backup (the same
checks, snapshots, archive, name and encryption, written with the same never-replace rules) to the
targets configured in DIR/config.db, read with the service's master key (SENTINEL_MASTER_KEY, else
DIR/.master-key). A target with encryption on gets a .tar.gz.age archive (its public recipients: no key needed).
  --target ID   back up to this target (local, r2, or an added one); repeat for several. Without it:
                every enabled target, each as Backup Now would (a turned-off target only when named).
The run is recorded in the service's history (trigger cli) and the archive as made by this installation,
so the service lists it as its own when it starts. Nothing is deleted: rotation is left to the service
(its schedule, or POST /api/backups/<target>/rotate).
Refused (exit 4) while a service runs on DIR: back up through it (POST /api/backups/<target>, Backup
Now on the page). While this runs it holds DIR's lock: a service started meanwhile is refused, naming this
command; a lock left by a killed run is taken over by the next. When one target fails, the others are
still backed up and the exit code is 1.

Example:
  sentinel-backup backup --data-dir /var/lib/sentinel --target local --target r2
  15 3 * * * sentinel-backup backup --data-dir /var/lib/sentinel --json >> /var/log/sentinel-cli-backup.json   (crontab)

${EXIT_HELP}`,
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  identity: { type: 'string', multiple: true },
  'confirm-unknown': { type: 'boolean' },
  output: { type: 'string' },
  recipient: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'data-dir': { type: 'string' },
  target: { type: 'string', multiple: true },
  endpoint: { type: 'string' },
  'account-id': { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  dir: { type: 'string' },
} as const;

/** Options each command accepts besides --help and --json. */
const ACCEPTED: Record<CommandName, readonly string[]> = {
  list: ['data-dir', 'target', 'endpoint', 'account-id', 'bucket', 'prefix', 'dir'],
  download: ['data-dir', 'target', 'endpoint', 'account-id', 'bucket', 'prefix', 'dir', 'output', 'identity'],
  verify: ['data-dir', 'target', 'endpoint', 'account-id', 'bucket', 'prefix', 'dir', 'identity'],
  restore: ['data-dir', 'target', 'endpoint', 'account-id', 'bucket', 'prefix', 'dir', 'dry-run', 'identity', 'confirm-unknown'],
  materialize: ['data-dir', 'target', 'endpoint', 'account-id', 'bucket', 'prefix', 'dir', 'identity', 'out'],
  status: ['data-dir'],
  backup: ['data-dir', 'target'],
  key: ['data-dir', 'target', 'output', 'recipient'],
};

/** An age identity anywhere on the command line: `ps` would show it to every user of the machine. */
const AGE_IDENTITY = /AGE-SECRET-KEY-1/i;

/** Credentials never come as arguments (`ps` shows them): these are refused with where to put them instead. */
const SECRET_OPTION = /^--(access-key|secret|secret-access-key|access-key-id|password|key)(=|$)/;

/** Reads the command line; throws CliError (exit 2) naming what is wrong. */
export function parseCommandLine(argv: readonly string[]): CliInvocation {
  const secret = argv.find((arg) => SECRET_OPTION.test(arg));
  if (secret) {
    throw CliError.usage(
      `${secret.split('=')[0]} is not an option: credentials are read only from the environment (R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), never from arguments, which other users can see in ps`,
    );
  }
  if (argv.some((arg) => AGE_IDENTITY.test(arg))) {
    // The argument is not repeated: it is a secret.
    throw CliError.usage(
      'A recovery key (AGE-SECRET-KEY-1...) is never given as an argument: other users can see arguments in ps. ' +
        'Put it in a file only you can read (chmod 600), and give --identity FILE',
    );
  }
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw CliError.usage((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { positionals } = parsed;
  // --target is repeatable for backup only; for the other commands it names one place.
  const targets = parsed.values.target ?? [];
  const values = { ...parsed.values, ...(targets.length > 0 ? { target: targets[targets.length - 1] } : {}) } as Omit<typeof parsed.values, 'target'> & {
    target?: string;
  };
  const [command, ...rest] = positionals;
  if (command === undefined) {
    if (values.help) return { help: HELP.main };
    throw CliError.usage(`Name a command: ${COMMANDS.join(', ')}`);
  }
  if (!isCommand(command)) throw CliError.usage(`Unknown command '${command}': the commands are ${COMMANDS.join(', ')}`);
  const help = `sentinel-backup ${command} --help`;
  if (values.help) return { help: HELP[command] };
  for (const name of Object.keys(values)) {
    if (name !== 'help' && name !== 'json' && !ACCEPTED[command].includes(name)) throw CliError.usage(`${command} does not take --${name}`, help);
  }
  for (const [name, value] of Object.entries(values)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (typeof one === 'string' && one.trim() === '') throw CliError.usage(`--${name} needs a value`, help);
    }
  }
  if (command !== 'backup' && targets.length > 1) throw CliError.usage(`${command} takes one --target`, help);
  if (command === 'key') return keyCommand(values, rest, help);
  const takesBackup = command === 'verify' || command === 'restore' || command === 'download' || command === 'materialize';
  if (takesBackup && rest.length === 0) {
    throw CliError.usage(`Name the backup to ${command}: its name, latest${command === 'download' ? '' : ", or an archive file's path"}`, help);
  }
  if (rest.length > (takesBackup ? 1 : 0)) throw CliError.usage(`Unexpected argument '${rest[takesBackup ? 1 : 0]}'`, help);
  const backup = rest[0];
  if (command === 'download' && isArchivePath(backup)) throw CliError.usage(`${backup} is already a file: download takes a backup's name or latest`, help);
  const dataDir = values['data-dir'];
  if ((command === 'restore' || command === 'status' || command === 'backup') && !dataDir)
    throw CliError.usage(`${command} needs --data-dir DIR: the service's data folder`, help);
  if (command === 'materialize' && !values.out) throw CliError.usage('materialize needs --out FILE: the full archive to write (a new file)', help);
  return {
    command,
    backup,
    location: command === 'status' || command === 'backup' ? { kind: 'none' } : location(values, backup, help),
    dataDir,
    json: values.json ?? false,
    dryRun: values['dry-run'] ?? false,
    ...(command === 'backup' ? { targets } : {}),
    output: values.output,
    identityFiles: values.identity ?? [],
    confirmUnknown: values['confirm-unknown'] ?? false,
    out: values.out,
  };
}

/** `key show|export --data-dir DIR --target ID`: the keys of a target configured in DIR. */
function keyCommand(values: Partial<Record<keyof typeof OPTIONS, string | boolean | string[]>>, rest: string[], help: string): ParsedCommand {
  const [action, extra] = rest;
  if (!(KEY_ACTIONS as readonly string[]).includes(action ?? '')) {
    throw CliError.usage(action === undefined ? 'Name what to do with the keys: show or export' : `Unknown key action '${action}': show or export`, help);
  }
  if (extra !== undefined) throw CliError.usage(`Unexpected argument '${extra}'`, help);
  const dataDir = values['data-dir'] as string | undefined;
  const target = values.target as string | undefined;
  if (!dataDir || !target)
    throw CliError.usage(`key ${action} needs --data-dir DIR and --target ID: the installation and the target whose keys to ${action}`, help);
  const output = values.output as string | undefined;
  if (action === 'export' && !output) throw CliError.usage('key export needs --output FILE: a new file for the recovery keys (never overwritten)', help);
  if (action === 'show' && (output !== undefined || values.recipient !== undefined))
    throw CliError.usage('key show takes neither --output nor --recipient', help);
  return {
    command: 'key',
    keyAction: action as KeyAction,
    location: { kind: 'target', dataDir, target },
    dataDir,
    json: (values.json as boolean | undefined) ?? false,
    dryRun: false,
    identityFiles: [],
    confirmUnknown: false,
    output,
    recipient: values.recipient as string | undefined,
  };
}

function isCommand(value: string): value is CommandName {
  return (COMMANDS as readonly string[]).includes(value);
}

/** An archive file's path rather than a backup's name: it has a folder in it. */
export function isArchivePath(backup: string | undefined): backup is string {
  return backup !== undefined && (backup.includes('/') || backup.includes('\\'));
}

function location(values: Partial<Record<keyof typeof OPTIONS, string | boolean | string[]>>, backup: string | undefined, help: string): LocationOptions {
  const str = (name: keyof typeof OPTIONS) => values[name] as string | undefined;
  const s3 = str('endpoint') !== undefined || str('account-id') !== undefined || str('bucket') !== undefined || str('prefix') !== undefined;
  const kinds = [str('target') !== undefined && '--target', s3 && '--endpoint/--account-id/--bucket', str('dir') !== undefined && '--dir'].filter(Boolean);
  if (isArchivePath(backup)) {
    if (kinds.length > 0) throw CliError.usage(`${backup} is an archive file: leave out ${kinds.join(' and ')}`, help);
    return { kind: 'file', file: backup };
  }
  if (kinds.length > 1) throw CliError.usage(`Give one place for the backups, not ${kinds.join(' and ')}`, help);
  if (str('target') !== undefined) {
    const dataDir = str('data-dir');
    if (!dataDir) throw CliError.usage('--target needs --data-dir DIR: the DATA_DIR whose configuration holds that target', help);
    return { kind: 'target', dataDir, target: str('target') as string };
  }
  if (s3) {
    if (str('endpoint') !== undefined && str('account-id') !== undefined) throw CliError.usage('Give --endpoint or --account-id, not both', help);
    if (str('endpoint') === undefined && str('account-id') === undefined) {
      throw CliError.usage('An S3 bucket needs --endpoint URL (any S3-compatible service) or --account-id ID (Cloudflare R2)', help);
    }
    const bucket = str('bucket');
    if (!bucket) throw CliError.usage('An S3 location needs --bucket NAME', help);
    const endpoint = str('endpoint');
    if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) throw CliError.usage(`--endpoint must be an http(s) URL, not '${endpoint}'`, help);
    return { kind: 'bucket', endpoint, accountId: str('account-id'), bucket, prefix: normalisePrefix(str('prefix') ?? '') };
  }
  if (str('dir') !== undefined) return { kind: 'dir', dir: str('dir') as string };
  throw CliError.usage('Say where the backups are: --data-dir DIR --target ID, --endpoint/--account-id with --bucket, --dir FOLDER, or an archive file', help);
}

/** The service stores a prefix as a folder ending in '/'; `backups` and `backups/` mean the same. */
function normalisePrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}
