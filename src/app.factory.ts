import { type LoggerService, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { AuditRecorder } from './audit/audit-recorder.js';
import { DomainErrorFilter } from './common/errors/domain-error.filter.js';
import { applyHttpEdge } from './common/http/http-edge.js';
import { AppConfig } from './config/app-config.js';
import { setupSwaggerUi } from './openapi/openapi-document.js';

/** Builds the application the same way for main.ts, the tests and the OpenAPI generator. */
export async function createApp(raw: Record<string, string | undefined>, logger?: LoggerService | false): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(raw), {
    logger: logger ?? false,
    abortOnError: false,
    // Only a JSON parser, registered by applyHttpEdge after the checks: a form body is never parsed.
    bodyParser: false,
  });
  // First of all middleware, so that requests refused by a guard or the body parser are recorded too.
  app.use(app.get(AuditRecorder).middleware());
  applyHttpEdge(app, app.get(AppConfig).env);
  app.useGlobalPipes(new ValidationPipe({ transform: true, whitelist: true }));
  app.useGlobalFilters(new DomainErrorFilter());
  setupSwaggerUi(app);
  return app;
}
