import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { PROCESS_LOG_LINES, type RecentLogLines } from './recent-log-lines.js';
import { redactSecrets } from './redact-secrets.js';

/**
 * Nest's console logger that also appends each line, without colours, to LOG_FILE, so that
 * `grep "R2 backup" <LOG_FILE>` works as the spec's monitoring section says.
 * Nothing logs setting values of secrets; the settings store never passes them to a logger. What has the
 * shape of a secret (an age identity, a URL's password, a webhook's token) is masked anyway (redactSecrets),
 * in every output. Each line is also kept in a bounded ring of recent lines (RecentLogLines), which a
 * failure's notification quotes.
 */
export class AppLogger extends ConsoleLogger {
  private fd: number | undefined;
  private readonly quiet: boolean;
  private readonly recent: RecentLogLines;

  /**
   * `quiet` (tests) prints only errors to the console; the log file always gets every line. `recent`: the
   * ring the lines also go to (the process's own unless a test passes one).
   */
  constructor(logFile: string | undefined, options: { quiet?: boolean; recent?: RecentLogLines } = {}) {
    super('Sentinel', { logLevels: ['log', 'warn', 'error', 'fatal'] });
    this.quiet = options.quiet ?? false;
    this.recent = options.recent ?? PROCESS_LOG_LINES;
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
    // A message may quote what a request sent (a folder, a file name): escaped, it stays one line and cannot forge another.
    const safe = messages.map((message) => (typeof message === 'string' ? escapeControl(redactSecrets(message)) : message));
    const safeContext = escapeControl(context);
    const stack = typeof errorStack === 'string' ? escapeStack(redactSecrets(errorStack)) : errorStack;
    if (!this.quiet || logLevel === 'error' || logLevel === 'fatal') {
      super.printMessages(safe, safeContext, logLevel, writeStreamType, stack, params);
    }
    const at = new Date().toISOString();
    let lines = '';
    for (const message of safe) {
      const text = typeof message === 'string' ? message : redactSecrets(inspect(message, { depth: 4, breakLength: Infinity }));
      const line = `${at} ${logLevel.toUpperCase()} [${safeContext}] ${escapeControl(text)}`;
      this.recent.push(line);
      lines += `${line}\n`;
    }
    if (this.fd === undefined) return;
    if (typeof stack === 'string') lines += `${stack}\n`;
    // Written synchronously: a line logged just before a crash (or read by a test right after) is in the file.
    try {
      fs.writeSync(this.fd, lines);
    } catch (error) {
      process.stderr.write(`Cannot write the log file: ${(error as Error).message}\n`);
    }
  }

  /** The console's copy of a stack (ConsoleLogger prints it apart from the message): escaped and masked as in LOG_FILE. */
  protected override printStackTrace(stack: string): void {
    super.printStackTrace(typeof stack === 'string' ? escapeStack(redactSecrets(stack)) : stack);
  }

  /** Closes the log file. */
  async closeFile(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) fs.closeSync(fd);
  }
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Control characters as escapes: a line break as the two characters `\n`, others as `\uXXXX`. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A stack keeps one frame per line, but each line is escaped and every line after the first is
 * indented, so no line of it can pass for a log line (those start with a timestamp).
 */
function escapeStack(stack: string): string {
  return stack
    .split('\n')
    .map((line, i) => (i === 0 || /^\s/.test(line) ? escapeControl(line) : `    ${escapeControl(line)}`))
    .join('\n');
}
