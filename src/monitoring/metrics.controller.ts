import { Controller, Get, Header } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import { Scrape } from '../common/auth/public.decorator.js';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { BackupMetrics, METRICS_CONTENT_TYPE } from './backup-metrics.js';

/**
 * GET /metrics, outside /api as Prometheus expects it, and behind the same doors as the API: the global
 * token guard (SENTINEL_API_TOKEN, or SENTINEL_METRICS_TOKEN for this route alone), the Host check and
 * the security headers, which every request passes (src/common/http).
 */
@ApiTags('monitoring')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: BackupMetrics) {}

  @Get('metrics')
  @Scrape()
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  @ApiProduces(METRICS_CONTENT_TYPE)
  @Endpoint({
    summary: 'Prometheus metrics: per target last success and attempt, results, sizes, failures, overdue, verification, next run; process metrics',
    description:
      'The Prometheus text format (0.0.4). Needs "Authorization: Bearer <token>" with SENTINEL_API_TOKEN or SENTINEL_METRICS_TOKEN when either is set. ' +
      'docs/monitoring.md lists every metric and gives alert rules.',
    responseDescription: 'The metrics in the Prometheus text format',
    errors: [503],
  })
  metricsText(): Promise<string> {
    return this.metrics.render();
  }
}
