import type { Logger } from '@nestjs/common';
import { createS3Connection, type S3Connection, type S3TargetSettings } from './s3-connection.js';
import type { S3RequestMeter } from './s3-request-meter.js';
import { loadS3Sdk } from './s3-sdk.js';
import type { StorageOptions } from './storage-options.js';

/**
 * The connection of one S3 destination: built from its settings on first use, shared by every
 * operation, and replaced (not rebuilt per request) when `drop()` says the settings changed. An
 * operation leases the connection and releases it when done, so a replaced connection's clients are
 * destroyed only after the operations using it have finished.
 */
export class S3ConnectionPool {
  /** The connection for the current settings, being built or built; undefined until first use and after drop(). */
  private connection?: Promise<S3Connection>;
  private current?: S3Connection;
  private generation = 0;

  constructor(
    /** Reads the destination's settings as they are now (secrets decrypted). */
    private readonly loadSettings: () => Promise<S3TargetSettings>,
    private readonly options: StorageOptions,
    private readonly logger: Logger,
    /** The target in log lines: 'R2' (the spec's phrases), or an added target's label. */
    private readonly label = 'R2',
    /** Counts the requests of the connections built (the cost estimate); none for the command line. */
    private readonly meter?: S3RequestMeter,
  ) {}

  /** A connection for one operation; release it when done. StorageNotConfigured when the settings are incomplete. */
  async lease(): Promise<S3Connection> {
    for (;;) {
      if (!this.connection) {
        const generation = this.generation;
        const building = Promise.all([this.loadSettings(), loadS3Sdk()]).then(([settings, sdk]) => {
          const conn = createS3Connection(sdk, settings, this.options, this.meter);
          if (generation === this.generation) this.current = conn;
          else conn.retire(); // settings changed while building: its waiters take the next one
          return conn;
        });
        // A failure (settings incomplete, secret unreadable) is not kept: the next call tries again.
        building.catch(() => {
          if (this.connection === building) this.connection = undefined;
        });
        this.connection = building;
      }
      const conn = await this.connection;
      if (!conn.retired) {
        conn.acquire();
        return conn;
      }
    }
  }

  /** The settings changed (or the service stops): the next lease builds a new connection; this one goes once idle. */
  drop(): void {
    this.generation += 1;
    this.connection = undefined;
    if (this.current) {
      if (this.current.pendingAborts.size > 0) {
        this.logger.warn(
          `Dropping the ${this.label} client with ${this.current.pendingAborts.size} multipart upload(s) not yet aborted (${[...this.current.pendingAborts.keys()].join(', ')}); the bucket's lifecycle rule removes them`,
        );
      }
      this.current.retire();
      this.current = undefined;
    }
  }
}
