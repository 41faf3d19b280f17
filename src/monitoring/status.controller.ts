import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Clock } from '../common/clock.js';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { StatusDto, toStatusDto } from './dto/status.dto.js';
import { DiskSpaceState } from './disk-space-state.js';
import { overallStatus } from './overall-status.js';
import { TargetHealthService } from './target-health.service.js';

@ApiTags('monitoring')
@Controller('api')
export class StatusController {
  constructor(
    private readonly health: TargetHealthService,
    private readonly clock: Clock,
    private readonly disk: DiskSpaceState,
  ) {}

  @Get('status')
  @Endpoint({
    summary: 'One health status: each target ok, failing, overdue, never backed up or disabled, and an overall state',
    description:
      'Per target: last success, last attempt and its error, the last verification, the next scheduled backup and when it becomes overdue. ' +
      'Overall: failing when an enabled target is failing or overdue or its last verification failed; warning when an enabled target was never ' +
      'backed up, no target is enabled, or a disk has less free space than the next backup needs; ok otherwise. docs/monitoring.md explains each rule.',
    response: StatusDto,
    errors: [503],
  })
  async status(): Promise<StatusDto> {
    const checkedAt = this.clock.now();
    const targets = await this.health.all();
    const enabled = targets.filter((health) => health.enabled).map((health) => health.target);
    return toStatusDto(overallStatus(targets, this.disk.lowFolders(enabled)), targets, checkedAt);
  }
}
