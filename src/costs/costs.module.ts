import { Module } from '@nestjs/common';
import { BackupModule } from '../backup/backup.module.js';
import { SettingsModule } from '../settings/settings.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { TargetsModule } from '../targets/targets.module.js';
import { CostPricesStore } from './cost-prices.store.js';
import { CostsController } from './costs.controller.js';
import { CostsService } from './costs.service.js';
import { RemovedTargetCosts } from './removed-target-costs.js';

/** Cost and capacity (issue 18): GET /api/costs and the prices each S3 target's estimate uses. */
@Module({
  imports: [SettingsModule, BackupModule, StorageModule, TargetsModule],
  controllers: [CostsController],
  providers: [CostPricesStore, CostsService, RemovedTargetCosts],
})
export class CostsModule {}
