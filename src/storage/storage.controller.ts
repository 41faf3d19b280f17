import { Controller, Param, Post } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import type { BackupTarget } from '../common/backup-target.js';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { BackupTargetPipe } from '../common/pipes/backup-target.pipe.js';
import { ConnectionTestResultDto } from './dto/connection-test-result.dto.js';
import { StorageTargets } from './storage-targets.js';

@ApiTags('backups')
@Controller('api/backups')
export class StorageController {
  constructor(private readonly targets: StorageTargets) {}

  @Post(':target/test')
  @ApiParam({
    name: 'target',
    schema: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' },
    example: 'r2',
    description: 'A target id: r2 (Cloudflare R2 or the S3 endpoint), local (the local backup folder), or one added through /api/targets',
  })
  @Endpoint({
    summary: 'Test Connection: checks the settings, the endpoint, the credentials, the bucket (or folder) and write access',
    description:
      'Writes, reads back and deletes a small probe object named .sentinel-connection-test-<random>. ' +
      'Answers 200 with every check and its message even when a check fails: `ok` says whether all passed. Takes a few seconds at most',
    response: ConnectionTestResultDto,
    errors: [404],
  })
  async test(@Param('target', BackupTargetPipe) target: BackupTarget): Promise<ConnectionTestResultDto> {
    return ConnectionTestResultDto.from(await (await this.targets.get(target)).testConnection());
  }
}
