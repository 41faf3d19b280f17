import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { AllowedQuery } from '../common/validation/allowed-query.js';
import { AuditLog } from './audit-log.js';
import { AuditEntryDto } from './dto/audit-entry.dto.js';
import { AuditQueryDto } from './dto/audit-query.dto.js';

@ApiTags('audit')
@Controller('api/audit')
export class AuditController {
  constructor(private readonly log: AuditLog) {}

  @Get()
  @AllowedQuery(AuditQueryDto)
  @Endpoint({
    summary: 'The audit log, newest first: every state-changing request and every refused one',
    description:
      'Each entry: time, client address, user agent, action, target and subject (backup file or setting key, never a value), outcome and status. ' +
      'A staged restore applied at start is recorded as restore.apply with the client of the staging request. Kept in DATA_DIR/.audit.db, outside the backed-up databases.',
    response: [AuditEntryDto],
    errors: [400],
  })
  list(@Query() query: AuditQueryDto): AuditEntryDto[] {
    return this.log.list({ limit: query.limit ?? 100, before: query.before });
  }
}
