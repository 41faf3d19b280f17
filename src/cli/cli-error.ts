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

  /** The command was written wrong: `help` names the command whose --help to read. */
  static usage(message: string, help = 'sentinel-backup --help'): CliError {
    return new CliError(`${message}. See ${help}`, EXIT.usage);
  }
}
