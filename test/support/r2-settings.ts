import type { TestApp } from './test-app.js';
import { testS3 } from './s3-server.js';

/** The settings that point the R2 target at the test S3 server's `bucket` (endpoint, credentials, bucket). */
export function r2SettingsFor(bucket: string): Record<string, string> {
  const s3 = testS3();
  return { r2_endpoint: s3.endpoint, r2_access_key_id: s3.accessKeyId, r2_secret_access_key: s3.secretAccessKey, r2_bucket_name: bucket };
}

/** Sets settings through the HTTP API, as a user would. */
export async function putSettings(t: TestApp, values: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    await t.http.put(`/api/settings/${key}`).send({ value }).expect(200);
  }
}

/** Points the app's R2 target at the test S3 server and `bucket`, and enables it, through the settings API. */
export async function configureR2(t: TestApp, bucket: string, overrides: Record<string, unknown> = {}): Promise<void> {
  await putSettings(t, { ...r2SettingsFor(bucket), r2_backup_enabled: 1, ...overrides });
}
