/** GET /api/status: each target's health and the overall state (the summary at the top of the page). */
import { api, unwrap } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];
export type ServiceStatus = Schemas['StatusDto'];
export type TargetStatus = Schemas['TargetStatusDto'];

export function fetchStatus(): Promise<ServiceStatus> {
  return unwrap(api.GET('/api/status'));
}
