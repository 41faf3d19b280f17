/**
 * A schedule value that cannot be used. The message is written to follow the setting's or field's name:
 * `${name}: cron expression '0 25 * * *': hour field '25': 25 is out of range 0-23`, or
 * `${name} must be daily, weekly, ...` for a value that is not a schedule at all.
 */
export class InvalidScheduleValue extends Error {
  constructor(
    message: string,
    /** True when the message is a whole clause ("must be ..."), false when it follows a colon. */
    private readonly predicate = false,
  ) {
    super(message);
  }

  /** The message after the name of what was being set: "r2_backup_schedule: cron expression ...". */
  about(name: string): string {
    return this.predicate ? `${name} ${this.message}` : `${name}: ${this.message}`;
  }
}
