import { Controller, Get, Header, HttpCode, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/auth/public.decorator.js';

const MESSAGE = 'The admin page has not been built: run `npm run build:web` (or `npm run build`), then reload. The API works without it; see /api/docs.';

/** Answers `/` when web/dist is missing, so a build without the page says what to do instead of a bare 404. */
@ApiExcludeController()
@Controller()
export class WebNotBuiltController implements OnApplicationBootstrap {
  private readonly logger = new Logger('Web');

  onApplicationBootstrap(): void {
    this.logger.warn(MESSAGE);
  }

  @Get()
  @Public()
  @HttpCode(503)
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  page(): string {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sentinel Backup</title></head><body><h1>Sentinel Backup</h1><p>${MESSAGE.replace(/`([^`]+)`/g, '<code>$1</code>')}</p></body></html>`;
  }
}
