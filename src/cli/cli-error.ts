import { EXIT, type ExitCode } from './cli-exit.js';

/** A failure the command line reports in one line (what was wrong, what to do) and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }

  /** The source holds no backup of that name (exit 1): an increment's chain names such a link as missing. */
  static missingBackup(message: string): CliError {
    const error = new CliError(message);
    error.missingBackup = true;
    return error;
  }

  /** Set by missingBackup. */
  missingBackup = false;

  /** The command was written wrong: `help` names the command whose --help to read. */
  static usage(message: string, help = 'sentinel-backup --help'): CliError {
    return new CliError(`${message}. See ${help}`, EXIT.usage);
  }
}
