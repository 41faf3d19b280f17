/**
 * GET /api/status: each target's health and the overall state.
 * PROVISIONAL: typed from issue 15's Interface section until the monitoring branch's DTO is in
 * openapi/openapi.json; then the type comes from schema.d.ts and the call goes through the typed client.
 */
import { authFetch } from './auth';
import { ApiError, type Target } from './client';

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

export async function fetchStatus(): Promise<ServiceStatus> {
  let response: Response;
  try {
    response = await authFetch(new Request('/api/status'));
  } catch (error) {
    throw new ApiError(0, 'UNREACHABLE', `The service did not answer (${error instanceof Error ? error.message : String(error)}). Is it running?`);
  }
  const body = (await response.json().catch(() => ({}))) as Partial<{ error: string; message: string; details: Record<string, unknown> }>;
  if (!response.ok)
    throw new ApiError(response.status, body.error ?? 'HTTP_ERROR', body.message ?? `The service answered ${response.status}`, body.details ?? {});
  return body as unknown as ServiceStatus;
}
