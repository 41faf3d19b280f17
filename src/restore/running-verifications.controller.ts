import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { BackupVerifier } from './backup-verifier.service.js';
import { RunningVerificationDto, toRunningVerificationDto } from './dto/running-verification.dto.js';

/** The verifications under way, with their progress: what the page shows beside a backup's "Verifying…" (GET /api/verifications lists the results). */
@ApiTags('restore')
@Controller('api/verifications/running')
export class RunningVerificationsController {
  constructor(private readonly verifier: BackupVerifier) {}

  @Get()
  @Endpoint({
    summary: 'The verifications running (or waiting their turn), at most one per target, with archive bytes read of its size',
    response: [RunningVerificationDto],
  })
  running(): RunningVerificationDto[] {
    return this.verifier.running().map(toRunningVerificationDto);
  }
}
