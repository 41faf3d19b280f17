import { type DynamicModule, Module } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import { isWebBuilt, setWebHeaders, WEB_DIST_DIR } from './web-assets.js';
import { WebNotBuiltController } from './web-not-built.controller.js';

/**
 * Serves the admin page (web/, built by Vite into web/dist) at `/`. The files are plain static files,
 * registered after the API routes, and `/api/*` (the API and Swagger UI at /api/docs) is never
 * answered by them. When the page has not been built, `/` says how to build it and the API runs as usual.
 */
@Module({})
export class WebModule {
  static forRoot(dir: string = WEB_DIST_DIR): DynamicModule {
    if (!isWebBuilt(dir)) return { module: WebModule, controllers: [WebNotBuiltController] };
    return {
      module: WebModule,
      imports: [
        ServeStaticModule.forRoot({
          rootPath: dir,
          renderPath: '/',
          exclude: ['/api/{*path}'],
          serveStaticOptions: { index: 'index.html', fallthrough: true, redirect: false, setHeaders: setWebHeaders },
        }),
      ],
    };
  }
}
