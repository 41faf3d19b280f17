/**
 * A target's incremental policy (issue 19), set the way a user sets it: PATCH /api/targets/{id} with the
 * `incremental` object, as the page's target form and the built-in cards do (docs/incremental-backups.md).
 */
import { expect } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';

export interface IncrementalPolicy {
  enabled: boolean;
  full_every: 'daily' | 'weekly' | number;
  max_chain_ratio: number;
}

/** Long chains: increments only, no full backup in between unless a test makes one happen on purpose. */
export const LONG_CHAINS: IncrementalPolicy = { enabled: true, full_every: 1000, max_chain_ratio: 10 };

/** Sets `target`'s policy through the API; the answer must be 200 and show the policy. */
export async function setIncrementalPolicy(http: TestAgent, target: string, policy: Partial<IncrementalPolicy>): Promise<void> {
  const answer = await http.patch(`/api/targets/${target}`).send({ incremental: policy }).expect(200);
  expect(answer.body.incremental).toMatchObject(policy);
}
