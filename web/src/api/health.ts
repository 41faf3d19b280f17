import type { Health } from './client';

/**
 * GET /api/health, or null when the service does not answer (or answers with an error). A plain fetch,
 * not the API client: the endpoint needs no token, so a restarting service never makes the page ask
 * for one, and `no-store` keeps a cached answer from hiding that the service is gone.
 */
export async function fetchHealth(): Promise<Health | null> {
  try {
    const response = await fetch('/api/health', { cache: 'no-store' });
    return response.ok ? ((await response.json()) as Health) : null;
  } catch {
    return null;
  }
}
