// Date logic in tests runs in a fixed zone; individual tests may override for DST cases.
process.env.TZ = process.env.TZ || 'UTC';
// The services tests run inside jest's workers do not force collections of those workers' large heaps
// (src/common/memory/buffer-churn.ts); the services tests start as processes do.
process.env.SENTINEL_BUFFER_COLLECTIONS ??= 'off';
