// Date logic in tests runs in a fixed zone; individual tests may override for DST cases.
process.env.TZ = process.env.TZ || 'UTC';
