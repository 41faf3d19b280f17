/**
 * /api/notifications (channels, their test, the delivery log) and /api/status.
 * PROVISIONAL: written against issue 15's Interface section until the backends' DTOs are merged; then
 * the types come from schema.d.ts and the calls go through the typed client.
 */
import { authFetch } from './auth';
import { ApiError, type Target } from './client';

export type ChannelType = 'webhook' | 'slack' | 'discord' | 'ntfy' | 'email' | 'ping';
export type EventName =
  | 'backup.succeeded'
  | 'backup.failed'
  | 'backup.overdue'
  | 'verification.failed'
  | 'rotation.failed'
  | 'restore.staged'
  | 'restore.applied'
  | 'restore.failed'
  | 'disk.low';

export interface Channel {
  id: string;
  name: string;
  type: ChannelType;
  events: EventName[];
  enabled: boolean;
  url_host?: string | null;
  has_secret?: boolean;
  header_names?: string[];
  has_token?: boolean;
  smtp_host?: string | null;
  smtp_port?: number | null;
  smtp_security?: 'none' | 'starttls' | 'tls' | null;
  smtp_user?: string | null;
  has_password?: boolean;
  from?: string | null;
  to?: string[] | null;
}

export interface ChannelRequest {
  name: string;
  type: ChannelType;
  events: EventName[];
  enabled?: boolean;
  url?: string;
  secret?: string;
  headers?: Record<string, string>;
  token?: string;
  smtp_host?: string;
  smtp_port?: number;
  smtp_security?: 'none' | 'starttls' | 'tls';
  smtp_user?: string | null;
  smtp_password?: string;
  from?: string;
  to?: string[];
}

export interface ChannelTestResult {
  ok: boolean;
  status?: number | null;
  message: string;
  response?: string | null;
  duration_ms?: number;
}

export interface Delivery {
  id: string;
  channel_id: string;
  channel_name?: string | null;
  event: string;
  target?: Target | null;
  state: 'pending' | 'delivered' | 'given_up';
  attempts: number;
  created_at: string;
  next_attempt_at?: string | null;
  delivered_at?: string | null;
  response?: string | null;
  last_error?: string | null;
}

export interface TargetStatus {
  target: Target;
  state: 'ok' | 'failing' | 'overdue' | 'never' | 'disabled';
  last_success: string | null;
  last_attempt: string | null;
  last_error: { code: string; message: string; time: string } | null;
  next_run: string | null;
  last_verification: { time: string; filename: string; verdict: 'passed' | 'failed' } | null;
}

export interface ServiceStatus {
  state: 'ok' | 'warning' | 'failing';
  targets: TargetStatus[];
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await authFetch(
      new Request(url, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  } catch (error) {
    throw new ApiError(0, 'UNREACHABLE', `The service did not answer (${error instanceof Error ? error.message : String(error)}). Is it running?`);
  }
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const b = (data ?? {}) as { error?: string; message?: string; details?: Record<string, unknown> };
    throw new ApiError(response.status, b.error ?? 'HTTP_ERROR', b.message ?? `The service answered ${response.status}`, b.details ?? {});
  }
  return data as T;
}

const channel = (id: string) => `/api/notifications/channels/${encodeURIComponent(id)}`;

export const notificationsApi = {
  list: (): Promise<Channel[]> => call('GET', '/api/notifications/channels'),
  create: (body: ChannelRequest): Promise<Channel> => call('POST', '/api/notifications/channels', body),
  update: (id: string, body: ChannelRequest): Promise<Channel> => call('PUT', channel(id), body),
  remove: (id: string): Promise<void> => call('DELETE', channel(id)),
  test: (id: string): Promise<ChannelTestResult> => call('POST', `${channel(id)}/test`),
  deliveries: (): Promise<Delivery[]> => call('GET', '/api/notifications/deliveries'),
};

export const statusApi = {
  get: (): Promise<ServiceStatus> => call('GET', '/api/status'),
};
