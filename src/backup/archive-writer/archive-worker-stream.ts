import { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import type { ArchivePipelineAck, ArchivePipelineMessage } from './archive-pipeline-protocol.js';
import { type ChurnCounts, serviceThreadChunkChurn } from '../../common/memory/buffer-churn.js';
import type { StoredDigest } from './stored-digest.js';

/**
 * The archive as its worker thread produces it (archive-pipeline.worker.ts), as a Readable on the
 * service's thread: each chunk the worker transfers is pushed as it is (no copy), and acknowledged once
 * the reader has taken it, so only a few chunks are ever between the threads. `digest` is set before the
 * stream ends.
 *
 * Destroying it terminates the worker, and it closes only once the thread has exited: a caller that
 * waits for 'close' before removing the snapshots' folder knows nothing reads it any more. A worker that
 * fails, or dies (out of memory, an uncaught error), destroys it with the reason.
 */
export class ArchiveWorkerStream extends Readable {
  private storedDigest: StoredDigest | undefined;
  private collections: ChurnCounts | undefined;
  /** Chunks pushed and not yet acknowledged to the worker. */
  private owed = 0;
  /** The worker said the archive is complete: every chunk has come. */
  private complete = false;
  private exited = false;
  private readonly exit: Promise<void>;

  constructor(
    private readonly worker: Worker,
    private readonly onTarBytes?: (bytes: number) => void,
  ) {
    super();
    this.exit = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.exited = true;
        resolve();
        if (!this.complete && !this.destroyed) {
          this.destroy(new Error(`The archive's worker thread stopped (exit code ${code}) before the archive was complete`));
        }
      }),
    );
    worker.on('message', (message: ArchivePipelineMessage) => this.onMessage(message));
    worker.once('error', (error: Error) => {
      if (!this.destroyed) this.destroy(new Error(`The archive's worker thread failed: ${error.message}`, { cause: error }));
    });
  }

  /** SHA-256 and size of the bytes as stored; known once the stream has ended. */
  get digest(): StoredDigest | undefined {
    return this.storedDigest;
  }

  /** The collections the worker's thread asked for while it made the archive; known once the stream has ended. */
  get workerCollections(): ChurnCounts | undefined {
    return this.collections;
  }

  override _read(): void {
    this.acknowledge();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Stops the thread where it is (its reads and compressions end with it) and waits until it has exited.
    const stopped = this.exited ? Promise.resolve() : this.worker.terminate().then(() => this.exit);
    stopped.then(
      () => callback(error),
      () => callback(error),
    );
  }

  private onMessage(message: ArchivePipelineMessage): void {
    if (this.destroyed) return;
    switch (message.type) {
      case 'progress':
        this.onTarBytes?.(message.tarBytes);
        return;
      case 'chunk':
        this.owed++;
        // The chunks before this one are dead once their destination has taken them: scavenged every few (BufferChurn).
        serviceThreadChunkChurn.passed(message.length);
        if (this.push(Buffer.from(message.bytes, 0, message.length))) this.acknowledge();
        return;
      case 'end':
        this.complete = true;
        this.storedDigest = message.digest;
        this.collections = message.collections;
        this.push(null);
        return;
      case 'failed':
        this.destroy(new Error(message.step ? `The archive step '${message.step}' failed: ${message.message}` : message.message));
        return;
    }
  }

  private acknowledge(): void {
    if (this.owed === 0 || this.exited) return;
    const ack: ArchivePipelineAck = { type: 'ack', chunks: this.owed };
    this.owed = 0;
    this.worker.postMessage(ack);
  }
}
