import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { RestoreStatusDto, toRestoreStatusDto } from './dto/restore-status.dto.js';
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
}
