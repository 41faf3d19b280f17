/** Test Connection's probe objects: a name no backup archive can have, so they are never taken for one. */
export const CONNECTION_TEST_PREFIX = '.sentinel-connection-test-';

/** The small body Test Connection writes and reads back. */
export function probeContent(): Buffer {
  return Buffer.from(`Sentinel Backup connection test, ${new Date().toISOString()}. Safe to delete.\n`);
}
