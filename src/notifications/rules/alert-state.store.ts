import { Injectable } from '@nestjs/common';
import { NotificationsDatabase } from '../store/notifications-database.js';
import { AlertStateEntity } from './alert-state.entity.js';

/**
 * The repeat rule's state (AlertStateEntity), in `.notifications.db` beside the outbox, through its one
 * queue. The database opens at module init, before any start-up event (a failed apply's) can need it.
 */
@Injectable()
export class AlertStateStore {
  constructor(private readonly database: NotificationsDatabase) {}

  get(key: string): Promise<AlertStateEntity | null> {
    return this.database.read((manager) => manager.findOneBy(AlertStateEntity, { key }));
  }

  async save(state: AlertStateEntity): Promise<void> {
    await this.database.transaction((manager) => manager.save(AlertStateEntity, state));
  }

  async delete(key: string): Promise<void> {
    await this.database.transaction((manager) => manager.delete(AlertStateEntity, { key }));
  }
}
