import fs from 'node:fs';
import { buildOpenApiDocument } from '../src/openapi/openapi-document.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is checked in as the code generates it (run `npm run openapi` after changing the API)', () => {
    const generated = JSON.parse(JSON.stringify(buildOpenApiDocument(t.app)));
    const checkedIn = JSON.parse(fs.readFileSync('openapi/openapi.json', 'utf8'));
    expect(checkedIn).toEqual(generated);
  });

  it('documents request and response types and error statuses of every endpoint', () => {
    const document = buildOpenApiDocument(t.app);
    const operations = Object.entries(document.paths).flatMap(([route, item]) =>
      Object.entries(item as Record<string, { responses: Record<string, { content?: unknown }>; requestBody?: unknown; security?: unknown[] }>).map(
        ([method, op]) => ({
          route,
          method,
          op,
        }),
      ),
    );
    expect(operations.length).toBeGreaterThan(5);
    for (const { route, method, op } of operations) {
      const statuses = Object.keys(op.responses);
      expect(statuses.some((s) => s.startsWith('2'))).toBe(true);
      // Only these need no token: the health check, and a download link (its single-use ticket stands for the token).
      const open = route === '/api/health' || (method === 'get' && route.endsWith('/download-link'));
      expect(op.security === undefined).toBe(open);
      if (!open) expect(statuses).toContain('401');
      if (method === 'put' || (method === 'post' && route.endsWith('/restore'))) expect(op.requestBody).toBeDefined();
    }
  });

  it('serves Swagger UI at /api/docs', async () => {
    const res = await t.http.get('/api/docs/').expect(200);
    expect(res.text).toMatch(/swagger/i);
    await t.http.get('/api/docs/openapi.json').expect(200);
  });

  it('serves the checked-in document at /api/docs/openapi.json (built on the first request, not at start)', async () => {
    const res = await t.http.get('/api/docs/openapi.json').expect(200);
    expect(res.body).toEqual(JSON.parse(fs.readFileSync('openapi/openapi.json', 'utf8')));
  });
});
