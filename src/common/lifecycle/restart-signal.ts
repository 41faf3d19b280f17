import { Injectable, Logger } from '@nestjs/common';

/**
 * Lets a service ask for the application to restart (after a restore is staged). main.ts waits on
 * `requested`, closes the app gracefully, then boots it again in the same process or exits with
 * RESTART_EXIT_CODE for a supervisor, per SENTINEL_RESTART_MODE.
 */
@Injectable()
export class RestartSignal {
  private readonly logger = new Logger(RestartSignal.name);
  private resolveRequest!: (reason: string) => void;
  private pending: string | undefined;
  readonly requested: Promise<string> = new Promise((resolve) => (this.resolveRequest = resolve));

  /** Asks for a restart once the current response has gone out. Idempotent. */
  request(reason: string): void {
    if (this.pending) return;
    this.pending = reason;
    this.logger.log(`Restart requested: ${reason}`);
    // Let the HTTP response that triggered this be written first.
    setTimeout(() => this.resolveRequest(reason), 50).unref();
  }

  get isRequested(): boolean {
    return this.pending !== undefined;
  }
}
