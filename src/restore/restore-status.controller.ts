import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { ApplyRestoreDto } from './dto/apply-restore.dto.js';
import { RestoreStatusDto, toRestoreStatusDto } from './dto/restore-status.dto.js';
import { StageRestoreResultDto, toStagedRestoreDto } from './dto/staged-restore.dto.js';
import { RestoreService } from './restore.service.js';

@ApiTags('restore')
@Controller('api/restore')
export class RestoreStatusController {
  constructor(private readonly restores: RestoreService) {}

  @Get('status')
  @Endpoint({ summary: 'The restore state: the staged restore, one being staged, and how the last apply ended', response: RestoreStatusDto })
  async status(): Promise<RestoreStatusDto> {
    return toRestoreStatusDto(await this.restores.status());
  }

  @Post('apply')
  @Endpoint({
    summary: 'Apply the staged restore now: the service restarts and swaps the databases in before it serves again',
    description:
      'For a restore staged with "restart": false (POST /api/backups/{target}/restore), which otherwise waits for the next start. ' +
      '"archive" must name the staged restore (GET /api/restore/status, staged.archive), and "target", when given, its target (staged.target): ' +
      'a restore staged meanwhile by someone else is not applied (404); an "archive" that is not a backup name is refused (400). ' +
      'Answers 202, then restarts as a restore with "restart": true does (SENTINEL_RESTART_MODE); poll GET /api/health until it answers again, ' +
      'and GET /api/restore/status for last_apply. 404 when no restore is staged, 409 while one is being staged.',
    status: 202,
    response: StageRestoreResultDto,
    errors: [400, 404, 409],
  })
  async apply(@Body() body: ApplyRestoreDto): Promise<StageRestoreResultDto> {
    const journal = await this.restores.applyNow(body.archive, body.target);
    return { ...toStagedRestoreDto(journal), restarting: true, message: 'The service restarts now to apply the staged restore' };
  }
}
