import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type Repository } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { AlertStateEntity } from './alert-state.entity.js';

/** The repeat rule's state (AlertStateEntity), in the notifications database. Opened at module init, before any start-up event. */
@Injectable()
export class AlertStateStore implements OnModuleInit, OnModuleDestroy {
  private source: DataSource | undefined;
  private repository!: Repository<AlertStateEntity>;

  constructor(private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    fs.mkdirSync(this.config.env.dataDir, { recursive: true, mode: 0o700 });
    this.source = new DataSource({
      type: 'better-sqlite3',
      database: path.join(this.config.env.dataDir, '.notifications.db'),
      entities: [AlertStateEntity],
      synchronize: true,
      enableWAL: true,
    });
    await this.source.initialize();
    this.repository = this.source.getRepository(AlertStateEntity);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.source?.isInitialized) await this.source.destroy();
  }

  get(key: string): Promise<AlertStateEntity | null> {
    return this.repository.findOneBy({ key });
  }

  async save(state: AlertStateEntity): Promise<void> {
    await this.repository.save(state);
  }

  async delete(key: string): Promise<void> {
    await this.repository.delete({ key });
  }
}
