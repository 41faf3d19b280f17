/** What the cost tests compute themselves: the published prices, the formula the README states, and the bucket's archives. */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface Prices {
  storagePerGbMonth: number;
  classAPerMillion: number;
  classBPerMillion: number;
}

/** The spec's "Cost Considerations" (Cloudflare R2), in US dollars. */
export const R2_PUBLISHED_PRICES: Prices = { storagePerGbMonth: 0.015, classAPerMillion: 4.5, classBPerMillion: 0.36 };

/** The monthly cost as the README states it: bytes / 10^9 × storage price, requests / 10^6 × class price. */
export function expectedCost(bytes: number, classes: { A: number; B: number }, prices: Prices) {
  const storage = (bytes / 1e9) * prices.storagePerGbMonth;
  const classA = (classes.A / 1e6) * prices.classAPerMillion;
  const classB = (classes.B / 1e6) * prices.classBPerMillion;
  return { storage, classA, classB, total: storage + classA + classB };
}

/** The backup archives in `bucket` as the test's own client lists them (directly, not through the service). */
export async function archivesInBucket(client: S3Client, bucket: string): Promise<{ bytes: number; count: number }> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  const archives = (listed.Contents ?? []).filter((o) => /^sentinel-backup-\d{4}-\d{2}-\d{2}-\d{6}.*\.tar\.gz$/.test(o.Key ?? ''));
  return { bytes: archives.reduce((sum, o) => sum + (o.Size ?? 0), 0), count: archives.length };
}
