/**
 * The typed API client. `schema.d.ts` is generated from openapi/openapi.json (`npm run web:api`),
 * which is generated from the service's code: a changed endpoint breaks this page's type check, not
 * its users.
 */
import createClient from 'openapi-fetch';
import { authFetch } from './auth';
import { forPeople } from '../words';
import type { components, paths } from './schema';

type Schemas = components['schemas'];
export type Setting = Schemas['SettingDto'];
export type Health = Schemas['HealthStatusDto'];
export type ConnectionTestResult = Schemas['ConnectionTestResultDto'];
export type ErrorBody = Schemas['ErrorResponseDto'];
export type BackupFile = Schemas['BackupFileDto'];
export type BackupJob = Schemas['BackupJobDto'];
export type Target = BackupJob['target'];
export type VerificationReport = Schemas['VerificationReportDto'];
export type RestoreStatus = Schemas['RestoreStatusDto'];
export type StagedRestore = Schemas['StagedRestoreDto'];
export type BackupContents = Schemas['BackupContentsDto'];
export type Schedule = Schemas['ScheduleDto'];
export type AuditEntry = Schemas['AuditEntryDto'];
export type TargetInfo = Schemas['TargetDto'];
export type TargetInput = Schemas['TargetInputDto'];
export type SyncPlan = Schemas['SyncPlanDto'];
export type Run = Schemas['RunDto'];
export type RunningVerification = Schemas['RunningVerificationDto'];

export const TARGETS: readonly Target[] = ['r2', 'local'];
export const TARGET_NAMES: Record<Target, string> = { r2: 'Cloudflare R2', local: 'Local folder' };

export const api = createClient<paths>({ baseUrl: '', fetch: authFetch });

/** An error answer of the API (or no answer at all: status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The setting or field the error concerns, when the API names one (details.key). */
  get key(): string | undefined {
    return typeof this.details.key === 'string' ? this.details.key : undefined;
  }

  /** The field of a request body the error concerns (/api/targets names it in details.field). */
  get field(): string | undefined {
    return typeof this.details.field === 'string' ? this.details.field : undefined;
  }
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

function toApiError(error: unknown, response: Response): ApiError {
  const body = (error ?? {}) as Partial<ErrorBody>;
  const message =
    typeof body.message === 'string' && body.message ? body.message : `The service answered ${response.status} ${response.statusText || ''}`.trim();
  return new ApiError(response.status, typeof body.error === 'string' ? body.error : 'HTTP_ERROR', message, body.details ?? {});
}

/** Resolves to the answer's body or rejects with an ApiError; a request that got no answer is status 0. */
export async function unwrap<T>(request: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await request;
  } catch (error) {
    // Cancel of a slow request (useSlowRequest): the page stopped waiting, the service may still be working.
    if (error instanceof DOMException && error.name === 'AbortError') throw new ApiError(0, 'CANCELLED', 'Cancelled: the page stopped waiting for the answer.');
    throw new ApiError(0, 'UNREACHABLE', `The service did not answer (${error instanceof Error ? error.message : String(error)}). Is it running?`);
  }
  if (!answer.response.ok || answer.error !== undefined) throw toApiError(answer.error, answer.response);
  return answer.data as T;
}

/** An error as the page shows it: the API's message in words for people (setting labels, not keys or API paths). */
export function errorMessage(error: unknown): string {
  return forPeople(error instanceof Error ? error.message : String(error));
}
