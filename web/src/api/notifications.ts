/** /api/notifications: the channels (no secrets in any answer), their test, and the delivery log. */
import { api, unwrap } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];
export type Channel = Schemas['ChannelDto'];
/** POST and PUT take the same fields (PUT: an omitted secret keeps its stored value). */
export type ChannelRequest = Schemas['CreateChannelDto'];
export type ChannelType = Channel['type'];
export type EventName = Channel['events'][number];
export type ChannelTestResult = Schemas['ChannelTestResultDto'];
export type Delivery = Schemas['DeliveryDto'];

const at = (id: string) => ({ params: { path: { id } } });

export const notificationsApi = {
  list: (): Promise<Channel[]> => unwrap(api.GET('/api/notifications/channels')),
  create: (body: ChannelRequest): Promise<Channel> => unwrap(api.POST('/api/notifications/channels', { body })),
  update: (id: string, body: ChannelRequest): Promise<Channel> => unwrap(api.PUT('/api/notifications/channels/{id}', { ...at(id), body })),
  remove: async (id: string): Promise<void> => {
    await unwrap(api.DELETE('/api/notifications/channels/{id}', at(id)));
  },
  test: (id: string): Promise<ChannelTestResult> => unwrap(api.POST('/api/notifications/channels/{id}/test', at(id))),
  /** The newest `limit` entries of the delivery log. */
  deliveries: (limit: number): Promise<Delivery[]> => unwrap(api.GET('/api/notifications/deliveries', { params: { query: { limit } } })),
};
