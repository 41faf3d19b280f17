import { formatDuration } from '../common/format.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';

/**
 * The life of one storage operation: one signal that fires when the caller aborts or when the
 * operation's time limit passes. Everything the operation starts (requests, streams) listens to
 * `signal`, so a timed-out operation is cancelled, not left running.
 *
 * When the signal fired, `reason` is what the operation rejects with: a StorageTimeout DomainError
 * for the time limit, or the caller's own abort reason (as Node's APIs do with `signal.reason`).
 */
export class OperationScope {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onCallerAbort = () => this.controller.abort(this.caller?.reason);

  constructor(
    /** What is being done, for the timeout message: "R2 upload of 'x.tar.gz'". */
    readonly description: string,
    readonly timeoutMs: number,
    private readonly caller?: AbortSignal,
  ) {
    this.timer = setTimeout(() => {
      this.controller.abort(
        new DomainError(
          ErrorCode.StorageTimeout,
          `${description} did not finish within ${formatDuration(timeoutMs)} and was cancelled. ` +
            'Check the network to the storage target, or raise SENTINEL_STORAGE_TIMEOUT_MS for very large backups',
          { timeout_ms: timeoutMs },
        ),
      );
    }, timeoutMs);
    this.timer.unref();
    if (caller?.aborted) this.onCallerAbort();
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Why the operation stopped, once `aborted`. */
  get reason(): unknown {
    return this.controller.signal.reason;
  }

  /** Stops the clock and lets go of the caller's signal. Safe to call more than once. */
  dispose(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
}
