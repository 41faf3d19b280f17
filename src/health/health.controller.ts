import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/public.decorator.js';
import { APP_VERSION } from '../common/app-version.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { damagedDatabaseError } from '../database/database-damage.js';
import { HealthStatusDto } from './health-status.dto.js';
import { InstallationIdentity } from '../common/installation/installation-identity.js';
import { AppConfig } from '../config/app-config.js';

@ApiTags('health')
@Controller('api/health')
export class HealthController {
  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly identity: InstallationIdentity,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  @ApiOperation({
    summary:
      'Liveness: answers without a token (used by the admin page to see the service come back after a restart); "degraded" names a damaged database and what to do',
  })
  @ApiResponse({ status: 200, type: HealthStatusDto })
  health(): HealthStatusDto {
    const open = this.registry.isOpen;
    const problems = this.registry.damagedDatabases().map((damage) => ({
      file: damage.database.filename,
      // Without the full path: this endpoint answers without a token.
      message: damagedDatabaseError(damage, { fullPath: false }).message,
    }));
    return {
      status: !open ? 'starting' : problems.length > 0 ? 'degraded' : 'ok',
      version: APP_VERSION,
      databases_open: open,
      problems,
      installation_id: this.identity.id,
      time_zone: this.config.env.timeZone,
    };
  }
}
