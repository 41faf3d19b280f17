import { Global, Module } from '@nestjs/common';
import { DatabaseChangeWatch } from './database-change-watch.js';
import { DatabaseRegistry } from './database-registry.js';

@Global()
@Module({
  providers: [DatabaseRegistry, DatabaseChangeWatch],
  exports: [DatabaseRegistry, DatabaseChangeWatch],
})
export class DatabaseModule {}
