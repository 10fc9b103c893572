/**
 * What ingestion and the operator API need from their surroundings, as small interfaces so the
 * handler logic is tested without a host: the Durable client (instances and entities), the policy
 * store, and a structured logger. `durable-client-adapter.ts` implements RolloutClient over the real
 * durable-functions DurableClient; `policy-resolver.ts` implements PolicyResolver over src/policy-store.
 */
import type { RolloutInput } from '../orchestration/events';
import type { WorkspaceCoordinates } from './model-registered';

export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended' | 'Unknown';

export interface InstanceSummary {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly createdTimeMs: number;
  readonly lastUpdatedTimeMs: number;
  readonly input: unknown;
  readonly customStatus: unknown;
  readonly output: unknown;
}

export interface RolloutClient {
  /** undefined when no instance has this id. */
  getStatus(instanceId: string): Promise<InstanceSummary | undefined>;
  /** Every instance of the orchestrator (the API filters and pages). */
  listInstances(orchestratorName: string): Promise<readonly InstanceSummary[]>;
  startNew(orchestratorName: string, instanceId: string, input: RolloutInput): Promise<void>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
  signalEntity(entityName: string, key: string, operation: string, input: unknown): Promise<void>;
  /** undefined when the entity does not exist yet. */
  readEntityState<T>(entityName: string, key: string): Promise<T | undefined>;
}

/** A runtime status in which the instance can still receive events. */
export function isLive(status: RuntimeStatus): boolean {
  return status === 'Pending' || status === 'Running' || status === 'ContinuedAsNew' || status === 'Suspended';
}

interface ModelForMatching {
  readonly workspace: WorkspaceCoordinates;
  readonly name: string;
  readonly version: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface PolicyAccess {
  /** User principal names or group ids/names allowed to approve / reject. Empty: anyone authenticated. */
  readonly approvers: readonly string[];
  /** Allowed to abort / pause / resume / promote / retry / start. Empty: anyone authenticated. */
  readonly operators: readonly string[];
}

export type PolicyResolution =
  | { readonly kind: 'matched'; readonly policyName: string; readonly endpoint: string; readonly access: PolicyAccess }
  /** The model version opted out (tag `rollout: skip`). */
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'noMatch'; readonly reason: string };

export interface PolicyResolver {
  /** Which policy governs this model version; `policyName` forces one (manual start, or the `rollout-policy` tag). */
  resolve(model: ModelForMatching, policyName?: string): Promise<PolicyResolution>;
  /** The allow-lists of a policy by name; undefined when the policy is unknown. */
  getAccess(policyName: string): Promise<PolicyAccess | undefined>;
}

export interface StructuredLogger {
  info(event: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(event: string, fields?: Readonly<Record<string, unknown>>): void;
  error(event: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** One JSON object per line: greppable, and parsed by Application Insights as custom dimensions. */
export function jsonLineLogger(write: (level: 'info' | 'warn' | 'error', line: string) => void): StructuredLogger {
  const emit =
    (level: 'info' | 'warn' | 'error') =>
    (event: string, fields: Readonly<Record<string, unknown>> = {}) =>
      write(level, JSON.stringify({ level, event, ...fields }));
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}
