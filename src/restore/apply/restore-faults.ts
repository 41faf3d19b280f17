import { Injectable, Logger } from '@nestjs/common';
import fs from 'node:fs';
import { AppConfig } from '../../config/app-config.js';

/** The variable naming the step at which the apply kills its own process. TEST ONLY. */
export const RESTORE_FAULT_VARIABLE = 'SENTINEL_RESTORE_FAULT';

/**
 * The points of phase 2 where the crash tests kill the process (`<n>` counts from 1), and of phase 1 while an
 * increment's chain is rebuilt into the staging folder (PointUnpacker), before the journal is written:
 *
 *   stage:chain-link-<n>         n increments of the chain unpacked into their scratch folders (newest first)
 *   stage:chain-applied          the chain's pages written onto the full backup's databases in the staging folder
 *   apply:start                  journal `staged`, nothing done
 *   apply:safety-copy-partial    the first database copied into the unfinished safety folder
 *   apply:safety-copy-done       safety folder complete and renamed; journal still `staged`
 *   apply:journal-applying       journal `applying`, no database swapped yet
 *   apply:swapped-<n>            n databases renamed into place
 *   apply:swaps-done             every database swapped, stale side files removed, DATA_DIR fsynced
 *   apply:recorded               the outcome written to .restore-last-apply.json, flag still there
 *   apply:flag-removed           flag removed, staging folder not yet
 *   rollback:start               journal `rolling_back`, nothing put back yet
 *   rollback:restored-<n>        n databases put back from the safety copy
 *
 * TEST-ONLY fault injection for the crash tests: when SENTINEL_RESTORE_FAULT names a step, the
 * process kills itself with SIGKILL on reaching it, exactly like `kill -9` at that moment (no
 * shutdown hooks, no flushing). Never set it in production: the service would die mid-restore by
 * design (and the next start would still recover, which is what the tests check).
 */
@Injectable()
export class RestoreFaults {
  private readonly logger = new Logger('Restore');
  private readonly step: string | undefined;

  constructor(config: AppConfig) {
    this.step = config.env.raw[RESTORE_FAULT_VARIABLE]?.trim() || undefined;
    if (this.step) this.logger.warn(`${RESTORE_FAULT_VARIABLE}=${this.step} is set: the restore will kill this process at that step (test only)`);
  }

  reached(step: string): void {
    if (step !== this.step) return;
    // Synchronous write: the test reads it from stderr to know the kill came from here.
    fs.writeSync(2, `[restore-fault] killing the process at ${step}\n`);
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL to oneself is delivered before the call returns to JavaScript; never run on.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  }
}
