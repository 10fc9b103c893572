/** RolloutClient over durable-functions' DurableClient (the same code runs in Azure and locally). */
import * as df from 'durable-functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import type { RolloutInput } from '../orchestration/events';
import type { InstanceSummary, RolloutClient, RuntimeStatus } from './ports';

const RUNTIME_STATUSES: readonly RuntimeStatus[] = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
];

function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? 0 : ms;
  }
  return 0;
}

function toInstanceSummary(status: DurableOrchestrationStatus): InstanceSummary {
  const runtime = String(status.runtimeStatus);
  return {
    instanceId: status.instanceId,
    name: status.name,
    runtimeStatus: (RUNTIME_STATUSES as readonly string[]).includes(runtime) ? (runtime as RuntimeStatus) : 'Unknown',
    createdTimeMs: toMs(status.createdTime),
    lastUpdatedTimeMs: toMs(status.lastUpdatedTime),
    input: status.input,
    customStatus: status.customStatus,
    output: status.output,
  };
}

/** DurableClient.getStatus throws a plain Error on 404; recognise it without swallowing real failures. */
function isNotFound(error: unknown): boolean {
  return error instanceof Error && /HTTP 404|No instance with ID/i.test(error.message);
}

export function durableRolloutClient(client: DurableClient): RolloutClient {
  return {
    async getStatus(instanceId) {
      try {
        const status = await client.getStatus(instanceId, { showInput: true });
        return toInstanceSummary(status);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async listInstances(orchestratorName) {
      const all = await client.getStatusAll();
      return all.filter((s) => s.name === orchestratorName).map(toInstanceSummary);
    },
    async startNew(orchestratorName, instanceId, input: RolloutInput) {
      await client.startNew(orchestratorName, { instanceId, input });
    },
    async raiseEvent(instanceId, eventName, data) {
      await client.raiseEvent(instanceId, eventName, data);
    },
    async signalEntity(entityName, key, operation, input) {
      await client.signalEntity(new df.EntityId(entityName, key), operation, input);
    },
    async readEntityState<T>(entityName: string, key: string) {
      const response = await client.readEntityState<T>(new df.EntityId(entityName, key));
      return response.entityExists ? response.entityState : undefined;
    },
  };
}
