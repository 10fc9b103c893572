/**
 * PolicyRepository: where every reader of rollout policies gets them (ingestion's matching, the
 * API's allow-lists, planRollout). One implementation over POLICY_DIR (src/policy-store/repository.ts)
 * with one cache rule, documented in docs/policy.md ("When a policy edit takes effect").
 */
import type { Policy } from '../policy/schema';

export interface PolicyRepository {
  /** Every policy, validated. Throws a ValidationError ('InvalidPolicy') naming every bad file. */
  listPolicies(): Promise<readonly Policy[]>;
  /** One policy by name. Throws RolloutError 'NotFound' naming the known ones, or as listPolicies. */
  getPolicy(name: string): Promise<Policy>;
}
