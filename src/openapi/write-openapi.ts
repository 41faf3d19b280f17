import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../app.factory.js';
import { buildOpenApiDocument } from './openapi-document.js';

/** Writes openapi/openapi.json from the code (`npm run openapi`). A test fails when the checked-in copy differs. */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-openapi-'));
try {
  const app = await createApp({ DATA_DIR: dataDir, LOG_FILE: path.join(dataDir, 'log') });
  const document = buildOpenApiDocument(app);
  const target = path.resolve('openapi/openapi.json');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  await app.close();
  console.log(`Wrote ${target}`);
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
