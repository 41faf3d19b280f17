import { Global, Module } from '@nestjs/common';
import { AuditLog } from './audit-log.js';
import { AuditRecorder } from './audit-recorder.js';
import { AuditController } from './audit.controller.js';

/**
 * Who did what: AuditRecorder (an Express middleware app.factory.ts installs first) records requests;
 * AuditLog is exported for what the service does on its own (a restore applied at start).
 */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditLog, AuditRecorder],
  exports: [AuditLog, AuditRecorder],
})
export class AuditModule {}
