import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DatabaseRegistry } from '../database/database-registry.js';

/**
 * Runs once per boot, before any database connection exists: applies a staged restore if there
 * is one, then opens the databases (see DatabaseRegistry for why this order is the guarantee).
 */
@Injectable()
export class RestoreOnStartHook implements OnApplicationBootstrap {
  constructor(private readonly registry: DatabaseRegistry) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.registry.open();
  }
}
