import { Injectable } from '@nestjs/common';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { S3RequestLedger } from '../storage/s3-request-ledger.js';
import { TargetsChangedEvent } from '../targets/targets-changed.event.js';
import { CostPricesStore } from './cost-prices.store.js';

/**
 * A target's cost figures end with the target: removed, its prices and its S3 request counts are forgotten, so a
 * target added later under the same id (another bucket, another store) starts from R2's prices and no requests
 * instead of inheriting the old one's. Forgotten again when a target is added, for a removal whose forgetting a
 * crash cut off (as the archives' records are: RemovedTargetProvenance).
 */
@Injectable()
export class RemovedTargetCosts {
  constructor(
    private readonly prices: CostPricesStore,
    private readonly requests: S3RequestLedger,
  ) {}

  @OnDomainEvent(TargetsChangedEvent)
  async targetsChanged(event: TargetsChangedEvent): Promise<void> {
    if (event.change === 'changed') return;
    await Promise.all([this.prices.reset(event.id), this.requests.forgetTarget(event.id)]);
  }
}
