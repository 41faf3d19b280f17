import { Global, Module } from '@nestjs/common';
import { DatabaseRegistry } from './database-registry.js';

@Global()
@Module({
  providers: [DatabaseRegistry],
  exports: [DatabaseRegistry],
})
export class DatabaseModule {}
