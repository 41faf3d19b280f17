import type { DynamicModule, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { AuditRecorder } from './audit/audit-recorder.js';
import { DomainErrorFilter } from './common/errors/domain-error.filter.js';
import { ApiValidationPipe } from './common/pipes/api-validation.pipe.js';
import { applyHttpEdge } from './common/http/http-edge.js';
import { DataDirLock, describeHolder } from './common/lifecycle/data-dir-lock.js';
import { AppConfig } from './config/app-config.js';
import { parseEnvironment } from './config/environment.js';
import { setupSwaggerUi } from './openapi/openapi-document.js';

/** The warning logged when a start takes over the lock of a service that is gone. */
export function takeoverLine(lock: DataDirLock): string | undefined {
  const stale = lock.tookOverFrom;
  if (!stale) return undefined;
  return (
    `Took over the lock of DATA_DIR ${lock.holder.data_dir} from ${describeHolder(stale)}, lock taken ${stale.locked_at}: that process no longer runs ` +
    '(it was killed or crashed without stopping; an interrupted job is reported as such)'
  );
}

/**
 * Builds the application the same way for main.ts, the tests and the OpenAPI generator.
 *
 * DATA_DIR's lock (one service per DATA_DIR) is taken before any provider is constructed, since
 * some read or sweep DATA_DIR in their constructors. main.ts passes the lock it holds across
 * in-process restarts; otherwise the lock is taken here and released when the app has closed.
 */
export async function createApp(
  raw: Record<string, string | undefined>,
  logger?: LoggerService | false,
  options: { lock?: DataDirLock; imports?: NonNullable<DynamicModule['imports']> } = {},
): Promise<NestExpressApplication> {
  let lock = options.lock;
  if (!lock) {
    lock = DataDirLock.acquire(parseEnvironment(raw).dataDir);
    const line = takeoverLine(lock);
    if (line && logger) logger.warn(line, 'DataDirLock');
  }
  const owned = !options.lock;
  const held = lock;
  try {
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(raw, options.imports), {
      logger: logger ?? false,
      abortOnError: false,
      // Only a JSON parser, registered by applyHttpEdge after the checks: a form body is never parsed.
      bodyParser: false,
    });
    // First of all middleware, so that requests refused by a guard or the body parser are recorded too.
    app.use(app.get(AuditRecorder).middleware());
    applyHttpEdge(app, app.get(AppConfig).env);
    app.useGlobalPipes(new ApiValidationPipe());
    app.useGlobalFilters(new DomainErrorFilter());
    setupSwaggerUi(app);
    if (owned) {
      // Released only once everything that writes to DATA_DIR has stopped: after the whole close, not in
      // a shutdown hook (those run module by module). NestFactory returns a Proxy whose set trap ignores
      // assignments, so the method is defined on the application itself and calls the class's own close.
      const close = (Object.getPrototypeOf(app) as { close: (...args: unknown[]) => Promise<void> }).close;
      Object.defineProperty(app, 'close', {
        configurable: true,
        writable: true,
        value: async function closeAndUnlock(this: NestExpressApplication, ...args: unknown[]): Promise<void> {
          try {
            await close.apply(this, args);
          } finally {
            held.release();
          }
        },
      });
    }
    return app;
  } catch (error) {
    if (owned) held.release();
    throw error;
  }
}
