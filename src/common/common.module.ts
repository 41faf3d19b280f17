import { Global, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ApiTokenGuard } from './auth/api-token.guard.js';
import { FailedAuthLimiter } from './auth/failed-auth-limiter.js';
import { Clock } from './clock.js';
import { DomainEventBus } from './events/domain-event-bus.js';
import { LeftoverSweeper } from './fs/leftover-sweeper.js';
import { DiskSpace } from './fs/disk-space.service.js';
import { InstallationIdentity } from './installation/installation-identity.js';
import { HeapGrowth } from './memory/heap-growth.js';
import { RestartSignal } from './lifecycle/restart-signal.js';
import { PROCESS_LOG_LINES, RecentLogLines } from './logging/recent-log-lines.js';
import { QueryParametersInterceptor } from './validation/query-parameters.interceptor.js';

@Global()
@Module({
  providers: [
    Clock,
    DiskSpace,
    FailedAuthLimiter,
    DomainEventBus,
    InstallationIdentity,
    LeftoverSweeper,
    RestartSignal,
    // The process's ring of recent log lines, which every AppLogger of the process fills.
    { provide: RecentLogLines, useValue: PROCESS_LOG_LINES },
    { provide: HeapGrowth, useFactory: () => new HeapGrowth() },
    { provide: APP_GUARD, useClass: ApiTokenGuard },
    { provide: APP_INTERCEPTOR, useClass: QueryParametersInterceptor },
  ],
  exports: [Clock, DiskSpace, DomainEventBus, HeapGrowth, InstallationIdentity, LeftoverSweeper, RecentLogLines, RestartSignal],
})
export class CommonModule {}
