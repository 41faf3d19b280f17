import { ChannelEntity } from './channel.entity.js';
import { DeliveryEntity } from './delivery.entity.js';

/**
 * Every table of `.notifications.db` (NotificationsDatabase creates them at start). A part of the module that
 * keeps state of its own (the rules' alert state) adds its entity here.
 */
export const NOTIFICATIONS_ENTITIES: readonly (new () => object)[] = [ChannelEntity, DeliveryEntity];
