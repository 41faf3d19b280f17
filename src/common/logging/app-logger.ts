import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';

/**
 * Nest's console logger that also appends each line, without colours, to LOG_FILE, so that
 * `grep "R2 backup" <LOG_FILE>` works as the spec's monitoring section says.
 * Nothing logs setting values of secrets; the settings store never passes them to a logger.
 */
export class AppLogger extends ConsoleLogger {
  private fd: number | undefined;
  private readonly quiet: boolean;

  /** `quiet` (tests) prints only errors to the console; the log file always gets every line. */
  constructor(logFile: string | undefined, options: { quiet?: boolean } = {}) {
    super('Sentinel', { logLevels: ['log', 'warn', 'error', 'fatal'] });
    this.quiet = options.quiet ?? false;
    if (logFile) {
      fs.mkdirSync(path.dirname(logFile), { recursive: true });
      this.fd = fs.openSync(logFile, 'a', 0o600);
    }
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    if (!this.quiet || logLevel === 'error' || logLevel === 'fatal') {
      super.printMessages(messages, context, logLevel, writeStreamType, errorStack, params);
    }
    if (this.fd === undefined) return;
    const at = new Date().toISOString();
    let lines = '';
    for (const message of messages) {
      const text = typeof message === 'string' ? message : inspect(message, { depth: 4, breakLength: Infinity });
      lines += `${at} ${logLevel.toUpperCase()} [${context}] ${text}\n`;
    }
    if (typeof errorStack === 'string') lines += `${errorStack}\n`;
    // Written synchronously: a line logged just before a crash (or read by a test right after) is in the file.
    try {
      fs.writeSync(this.fd, lines);
    } catch (error) {
      process.stderr.write(`Cannot write the log file: ${(error as Error).message}\n`);
    }
  }

  /** Closes the log file. */
  async closeFile(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) fs.closeSync(fd);
  }
}
