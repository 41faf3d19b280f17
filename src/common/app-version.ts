import fs from 'node:fs';

/** The service's version from package.json (the archive metadata's `sentinel_version`). */
export const APP_VERSION: string = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
