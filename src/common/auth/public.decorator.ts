import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'sentinel:public';

/** Marks a route that needs no API token (the health check). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

export const IS_SCRAPE = 'sentinel:scrape';

/**
 * Marks a read-only route a monitoring system polls (GET /metrics): besides the API token it accepts
 * SENTINEL_METRICS_TOKEN, so Prometheus can be given a credential that opens nothing else.
 */
export const Scrape = (): MethodDecorator & ClassDecorator => SetMetadata(IS_SCRAPE, true);
