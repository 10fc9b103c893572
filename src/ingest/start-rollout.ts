/**
 * Turning "this model version was registered" (an event or a manual request) into at most one
 * rollout: match a policy, derive the deterministic instance id, and start the orchestrator only
 * when no instance with that id exists yet.
 *
 * Duplicates: Event Grid delivers at least once and may redeliver after success, often in
 * parallel. We check getStatus before startNew, and collapse concurrent starts of the same id
 * inside this process onto one in-flight promise (the check-then-start window would otherwise let
 * parallel deliveries race); across processes the Durable backend de-duplicates creation of a
 * running instance id.
 *
 * Concurrency between versions (3 arriving before 2) is the orchestrator's job: each version gets
 * its own id, and the orchestrator enforces one active rollout per endpoint (supersede or queue,
 * from the policy). Ingestion therefore never terminates or rewrites another instance.
 */
import { ORCHESTRATOR_NAME, rolloutInputSchema, type RolloutInput } from '../orchestration/events';
import type { Clock } from '../ports/clock';
import type { ModelRegistry } from '../ports/model-registry';
import { rolloutInstanceId } from './instance-id';
import type { RegisteredModelVersion, WorkspaceCoordinates } from './model-registered';
import type { PolicyResolver, RolloutClient, RuntimeStatus, StructuredLogger } from './ports';

export interface StartRolloutRequest {
  readonly source: RolloutInput['source'];
  readonly eventId?: string;
  readonly requestedBy?: string;
  readonly workspace: WorkspaceCoordinates;
  readonly model: RegisteredModelVersion;
  /** Force a policy (manual start); otherwise the resolver picks (tags, match rules). */
  readonly policyName?: string;
}

export type StartRolloutOutcome =
  | { readonly kind: 'started'; readonly rolloutId: string; readonly policyName: string; readonly endpoint: string }
  | {
      readonly kind: 'duplicate';
      readonly rolloutId: string;
      readonly policyName: string;
      readonly endpoint: string;
      readonly runtimeStatus: RuntimeStatus;
    }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'noMatch'; readonly reason: string };

export interface StartRolloutDeps {
  readonly client: RolloutClient;
  readonly policies: PolicyResolver;
  readonly clock: Clock;
  readonly log: StructuredLogger;
  /** Confirms an event's model version exists before anything starts (absent: the check is skipped). */
  readonly modelRegistry?: ModelRegistry;
}

/** Starts in flight in this process, by instance id (see the module comment). */
const inFlight = new Map<string, Promise<StartRolloutOutcome>>();

export async function startRollout(request: StartRolloutRequest, deps: StartRolloutDeps): Promise<StartRolloutOutcome> {
  const resolution = await deps.policies.resolve(
    { workspace: request.workspace, name: request.model.name, version: request.model.version, tags: request.model.tags },
    request.policyName,
  );
  const logFields = { source: request.source, eventId: request.eventId, model: request.model.name, version: request.model.version };
  if (resolution.kind === 'skipped') {
    deps.log.info('rollout.skipped', { ...logFields, reason: resolution.reason });
    return resolution;
  }
  if (resolution.kind === 'noMatch') {
    deps.log.info('rollout.noPolicy', { ...logFields, reason: resolution.reason });
    return resolution;
  }
  const rolloutId = rolloutInstanceId({
    ...request.workspace,
    endpoint: resolution.endpoint,
    model: request.model.name,
    version: request.model.version,
  });
  const existing = inFlight.get(rolloutId);
  if (existing) {
    const outcome = await existing;
    return outcome.kind === 'started' ? { ...outcome, kind: 'duplicate', runtimeStatus: 'Pending' } : outcome;
  }
  const attempt = startOnce(rolloutId, resolution.policyName, resolution.endpoint, request, deps);
  inFlight.set(rolloutId, attempt);
  try {
    return await attempt;
  } finally {
    inFlight.delete(rolloutId);
  }
}

async function startOnce(
  rolloutId: string,
  policyName: string,
  endpoint: string,
  request: StartRolloutRequest,
  deps: StartRolloutDeps,
): Promise<StartRolloutOutcome> {
  const current = await deps.client.getStatus(rolloutId);
  if (current) {
    // Any existing instance (running, finished, failed) means this version was already handled:
    // a redelivery must not restart a rollout that ended. Operators use `retry` for that.
    deps.log.info('rollout.duplicate', { rolloutId, eventId: request.eventId, runtimeStatus: current.runtimeStatus });
    return { kind: 'duplicate', rolloutId, policyName, endpoint, runtimeStatus: current.runtimeStatus };
  }
  const input: RolloutInput = rolloutInputSchema.parse({
    rolloutId,
    source: request.source,
    requestedBy: request.requestedBy,
    eventId: request.eventId,
    workspace: request.workspace,
    model: {
      name: request.model.name,
      version: request.model.version,
      tags: { ...request.model.tags },
      properties: { ...request.model.properties },
    },
    policyName,
    receivedAtMs: deps.clock.now(),
  });
  await deps.client.startNew(ORCHESTRATOR_NAME, rolloutId, input);
  deps.log.info('rollout.started', {
    rolloutId,
    policyName,
    endpoint,
    source: request.source,
    eventId: request.eventId,
    model: request.model.name,
    version: request.model.version,
  });
  return { kind: 'started', rolloutId, policyName, endpoint };
}
