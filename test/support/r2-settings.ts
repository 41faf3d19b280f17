import type { TestApp } from './test-app.js';
import { testS3 } from './s3-server.js';

/** Points the app's R2 target at the test S3 server and `bucket`, through the settings API. */
export async function configureR2(t: TestApp, bucket: string, overrides: Record<string, unknown> = {}): Promise<void> {
  const s3 = testS3();
  const values: Record<string, unknown> = {
    r2_endpoint: s3.endpoint,
    r2_access_key_id: s3.accessKeyId,
    r2_secret_access_key: s3.secretAccessKey,
    r2_bucket_name: bucket,
    r2_backup_enabled: 1,
    ...overrides,
  };
  for (const [key, value] of Object.entries(values)) {
    await t.http.put(`/api/settings/${key}`).send({ value }).expect(200);
  }
}
