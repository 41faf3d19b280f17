import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { EnvironmentError } from '../config/environment.js';
import { type CommandName, type ParsedCommand, parseCommandLine } from './cli-arguments.js';
import { CliError } from './cli-error.js';
import { EXIT, type ExitCode } from './cli-exit.js';
import { CliOutput } from './cli-output.js';

type Command = (command: ParsedCommand, raw: Record<string, string | undefined>, out: CliOutput) => Promise<ExitCode>;

/**
 * Each command's module is loaded when it runs: `--help` and a usage error answer without loading Nest,
 * the AWS SDK or TypeORM, and each command loads only what it uses (a start in well under a second).
 */
const COMMANDS: Record<CommandName, () => Promise<Command>> = {
  list: async () => (await import('./commands/list-command.js')).listCommand,
  download: async () => (await import('./commands/download-command.js')).downloadCommand,
  verify: async () => (await import('./commands/verify-command.js')).verifyCommand,
  restore: async () => (await import('./commands/restore-command.js')).restoreCommand,
  materialize: async () => (await import('./commands/materialize-command.js')).materializeCommand,
  status: async () => (await import('./commands/status-command.js')).statusCommand,
  backup: async () => (await import('./commands/backup-command.js')).backupCommand,
  key: async () => (await import('./commands/key-command.js')).keyCommand,
};

/** Domain errors a user fixes by writing the command differently. */
const USAGE_CODES = new Set<string>([ErrorCode.BackupNameInvalid]);

/** Runs one command line; returns the exit code. Never throws: every failure is one line on stderr. */
export async function runCli(argv: readonly string[], raw: Record<string, string | undefined>): Promise<ExitCode> {
  const json = argv.includes('--json');
  let out = new CliOutput(json, raw);
  try {
    const invocation = parseCommandLine(argv);
    if ('help' in invocation) {
      process.stdout.write(`${invocation.help}\n`);
      return EXIT.ok;
    }
    out = new CliOutput(invocation.json, raw);
    // The adapters' and the core's log lines (Nest's Logger writes to stdout) would break --json and repeat
    // what the command's own output and errors say; the command speaks for itself.
    (await import('@nestjs/common')).Logger.overrideLogger(false);
    return await (
      await COMMANDS[invocation.command]()
    )(invocation, raw, out);
  } catch (error) {
    const code = exitCodeOf(error);
    out.error((error as Error)?.message ?? String(error), code);
    return code;
  }
}

function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof EnvironmentError) return EXIT.usage;
  if (error instanceof DomainError && USAGE_CODES.has(error.code)) return EXIT.usage;
  return EXIT.failed;
}
