import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { APP_VERSION } from '../common/app-version.js';

/** The OpenAPI document the code defines; `npm run openapi` writes it to openapi/openapi.json. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Sentinel Backup')
    .setDescription(
      "Backups of Sentinel's SQLite databases to a local folder and to Cloudflare R2 or any S3-compatible store, with a two-phase restore. " +
        'When SENTINEL_API_TOKEN is set, every route but /api/health needs "Authorization: Bearer <token>" (429 with Retry-After after 10 wrong tokens in 60 s). ' +
        'Request bodies are JSON with Content-Type: application/json (415 otherwise); a request that changes something is refused with 403 when its Origin ' +
        'is another site, and any request whose Host is not loopback or in SENTINEL_ALLOWED_HOSTS with 421.',
    )
    .setVersion(APP_VERSION)
    .addBearerAuth()
    .build();
  return withStableParameterOrder(SwaggerModule.createDocument(app, config));
}

/**
 * Path parameters in the order they appear in the path, then the others by name. The order in which
 * decorators register them differs between the compiled build and the test transpiler, and the
 * checked-in document must not depend on which one generated it.
 */
function withStableParameterOrder(document: OpenAPIObject): OpenAPIObject {
  for (const [route, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item) as Array<{ parameters?: Array<{ name: string; in: string }> }>) {
      if (!Array.isArray(operation?.parameters)) continue;
      const rank = (p: { name: string; in: string }) => (p.in === 'path' ? route.indexOf(`{${p.name}}`) : Number.MAX_SAFE_INTEGER);
      operation.parameters.sort((a, b) => rank(a) - rank(b) || a.in.localeCompare(b.in) || a.name.localeCompare(b.name));
    }
  }
  return document;
}

/**
 * Swagger UI at /api/docs, the JSON at /api/docs/openapi.json. The document is built on the first request
 * for it, not at start: scanning every controller's metadata is a large part of a start's CPU, and most
 * starts (each restart after a restore, each test's app) never serve it.
 */
export function setupSwaggerUi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/docs/openapi.json',
    yamlDocumentUrl: 'api/docs/openapi.yaml',
  });
}
