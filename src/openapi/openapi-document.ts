import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { APP_VERSION } from '../common/app-version.js';

/** The OpenAPI document the code defines; `npm run openapi` writes it to openapi/openapi.json. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Sentinel Backup')
    .setDescription(
      'Backups of Sentinel\'s SQLite databases to a local folder and to Cloudflare R2 or any S3-compatible store, with a two-phase restore. ' +
        'When SENTINEL_API_TOKEN is set, every route but /api/health needs "Authorization: Bearer <token>".',
    )
    .setVersion(APP_VERSION)
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at /api/docs, the JSON at /api/docs/openapi.json. */
export function setupSwaggerUi(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json', yamlDocumentUrl: 'api/docs/openapi.yaml' });
}
