/** How many lines the process keeps: enough for the lines of a failed job and what led to it, little memory. */
export const RECENT_LOG_CAPACITY = 500;
/** A longer line is cut: a notification's log excerpt must stay small (a ping's `/fail` body, an email). */
export const RECENT_LOG_LINE_MAX = 1_000;

/**
 * The last lines the service logged, in memory, bounded in count and in each line's length: what a
 * failure's notification quotes (`log_lines`, a dead-man's-switch ping's `/fail` body), so that whoever
 * reads it sees what led to the failure without opening LOG_FILE. Lines arrive already escaped and
 * redacted by AppLogger, exactly as LOG_FILE has them.
 */
export class RecentLogLines {
  private readonly ring: string[] = [];
  private next = 0;

  constructor(private readonly capacity = RECENT_LOG_CAPACITY) {}

  push(line: string): void {
    const kept = line.length > RECENT_LOG_LINE_MAX ? `${line.slice(0, RECENT_LOG_LINE_MAX)}…` : line;
    if (this.ring.length < this.capacity) this.ring.push(kept);
    else this.ring[this.next] = kept;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Every kept line, oldest first. */
  all(): string[] {
    return this.ring.length < this.capacity ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  /**
   * The last `limit` lines, oldest first; with `from`, only the lines from the last one that contains
   * `from` onwards (a job's lines: from its "started (job <id>" line), or the last `limit` lines when
   * none does (the start line was pushed out, or the failure came before any job).
   */
  tail(limit: number, from?: string): string[] {
    const lines = this.all();
    const start = from === undefined ? -1 : lines.findLastIndex((line) => line.includes(from));
    return (start >= 0 ? lines.slice(start) : lines).slice(-limit);
  }
}

/**
 * The process's lines: every AppLogger of the process (main.ts builds one and keeps it across in-process
 * restarts) writes here, and the notifications read it through the RecentLogLines provider.
 */
export const PROCESS_LOG_LINES = new RecentLogLines();
