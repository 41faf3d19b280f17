import { formatBytes, formatDuration } from '../common/format.js';

/** Where a meter writes: stderr, or a test's stand-in. */
export interface ProgressSink {
  /** A terminal: one line redrawn in place. Otherwise plain lines, now and then. */
  readonly isTTY: boolean;
  /** The terminal's width, when it has one. */
  readonly columns?: number;
  write(text: string): void;
}

/** How often a bar is redrawn on a terminal, and how far apart plain lines are when not one. */
const REDRAW_MS = 100;
const LINE_EVERY_MS = 5000;
const LINE_EVERY_FRACTION = 0.1;
/** The rate is the bytes of the last few seconds, so a stall shows at once and a burst does not last. */
const RATE_WINDOW_MS = 5000;

/**
 * The progress of one transfer (a download, the read of an archive by verify or restore) in bytes done of a
 * total, with the rate and the time left, on stderr: stdout is for the command's own lines and its --json
 * document. On a terminal, one bar redrawn in place; otherwise (a log, a pipe) a plain line at most every
 * 5 s or every tenth of the way, and a last one when done. Fed by a counting pass-through (meteredBody).
 */
export class ProgressMeter {
  private readonly started: number;
  private readonly samples: Array<{ at: number; bytes: number }> = [];
  private lastDraw = -Infinity;
  private lastLine: { at: number; fraction: number };
  private done: number;
  private ended = false;

  constructor(
    /** What is going on, in a word or two (the command's own lines name the archive): "Downloading". */
    private readonly label: string,
    private readonly total: number,
    private readonly sink: ProgressSink,
    /** Bytes already there before this run (a resumed download): counted as done, not in the rate. */
    private readonly startAt = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.done = startAt;
    this.samples.push({ at: this.started, bytes: startAt });
    this.lastLine = { at: this.started, fraction: this.fraction() };
  }

  /** A meter for the command line: on stderr; none with --json unless stderr is a terminal (a person watching a script). */
  static onStderr(label: string, total: number, json: boolean, startAt = 0): ProgressMeter | undefined {
    const stderr = process.stderr;
    if (json && !stderr.isTTY) return undefined;
    return new ProgressMeter(label, total, { isTTY: Boolean(stderr.isTTY), columns: stderr.columns, write: (text) => void stderr.write(text) }, startAt);
  }

  /** `bytes` of this run's transfer are done (the total after `startAt`). */
  update(bytes: number): void {
    if (this.ended) return;
    const at = this.now();
    this.done = this.startAt + bytes;
    this.samples.push({ at, bytes: this.done });
    while (this.samples.length > 2 && at - this.samples[1].at >= RATE_WINDOW_MS) this.samples.shift();
    if (this.sink.isTTY) {
      if (at - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = at;
      this.sink.write(`\r${this.bar(at)}\x1b[K`);
      return;
    }
    const fraction = this.fraction();
    const tenth = (value: number) => Math.floor(value / LINE_EVERY_FRACTION + 1e-9);
    if (fraction < 1 && (at - this.lastLine.at >= LINE_EVERY_MS || tenth(fraction) > tenth(this.lastLine.fraction))) {
      this.lastLine = { at, fraction };
      this.sink.write(`${this.status(at)}\n`);
    }
  }

  /** The transfer is complete: the last state, and the line ended. */
  finish(): void {
    if (this.ended) return;
    this.ended = true;
    const elapsed = Math.max(this.now() - this.started, 1);
    const moved = this.done - this.startAt;
    const summary = `${this.label}: ${formatBytes(this.done)} done in ${formatDuration(elapsed)} (${formatBytes(Math.round((moved * 1000) / elapsed))}/s)`;
    this.sink.write(this.sink.isTTY ? `\r${this.fit(summary)}\x1b[K\n` : `${summary}\n`);
  }

  /** The transfer stopped short (a failure): a bar on a terminal gets its line ended, so what follows starts on its own. */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.sink.isTTY && this.lastDraw > -Infinity) this.sink.write('\n');
  }

  private fraction(): number {
    return this.total > 0 ? Math.min(this.done / this.total, 1) : 1;
  }

  /** Bytes per second over the last few seconds; undefined until there is something to go by. */
  private rate(at: number): number | undefined {
    const first = this.samples[0];
    const span = at - first.at;
    if (span < 100 || this.done <= first.bytes) return undefined;
    return ((this.done - first.bytes) * 1000) / span;
  }

  /** "12.0 MiB of 30.0 MiB (40%), 25.1 MiB/s, 1 s left". */
  private figures(at: number): string {
    const rate = this.rate(at);
    const left = rate ? timeLeft(((this.total - this.done) * 1000) / rate) : 'time left unknown';
    const speed = rate ? `${formatBytes(Math.round(rate))}/s` : '-- B/s';
    return `${formatBytes(this.done)} of ${formatBytes(this.total)} (${Math.floor(this.fraction() * 100)}%), ${speed}, ${left}`;
  }

  private status(at: number): string {
    return `${this.label}: ${this.figures(at)}`;
  }

  /** "Downloading [#####.......] 12.0 MiB of 30.0 MiB (40%), 25.1 MiB/s, 1 s left", the bar as wide as the terminal leaves room for. */
  private bar(at: number): string {
    const figures = this.figures(at);
    const width = Math.min(30, this.columns() - this.label.length - figures.length - 5);
    if (width < 5) return this.fit(`${this.label}: ${figures}`);
    const filled = Math.round(this.fraction() * width);
    return `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${figures}`;
  }

  private columns(): number {
    return this.sink.columns && this.sink.columns > 20 ? this.sink.columns : 100;
  }

  /** A line that wraps cannot be redrawn in place: cut to the terminal's width. */
  private fit(line: string): string {
    return line.length < this.columns() ? line : `${line.slice(0, this.columns() - 2)}…`;
  }
}

/** "42 s left", "3 min 5 s left", "1 h 2 min left". */
function timeLeft(ms: number): string {
  const seconds = Math.max(Math.ceil(ms / 1000), 0);
  if (seconds < 60) return `${seconds} s left`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s left`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}
