/**
 * The operator and approver API: list, get, act, start. Each handler authenticates, validates,
 * checks that the action fits the rollout's phase, then raises the orchestrator's event. Every
 * failure is a RolloutError mapped to 400 / 401 / 403 / 404 / 409 by `handle`; nothing a caller
 * sends can produce a 500.
 */
import { z } from 'zod';
import { RolloutError, ValidationError } from '../errors';
import { INSTANCE_ID_RULE, isValidInstanceId } from '../ingest/instance-id';
import { zodIssuePath } from '../ingest/model-registered';
import { isLive, type InstanceSummary, type PolicyAccess } from '../ingest/ports';
import { registeredVersion } from '../ingest/registered-version';
import { startRollout } from '../ingest/start-rollout';
import {
  APPROVAL_EVENT,
  approvalEventSchema,
  CONTROL_EVENT,
  controlEventSchema,
  ORCHESTRATOR_NAME,
  type ApprovalEvent,
  type ControlAction,
  type ControlEvent,
} from '../orchestration/events';
import type { RolloutStatus } from '../plan/types';
import type { Immutable } from '../analysis/immutable';
import { stepPosition } from '../plan/describe';
import { approvalWait } from './approval-wait';
import { annotatedComment, authenticate, authorize, identityRecord, recordedIdentity, type Caller } from './auth';
import type { ApiDeps } from './deps';
import { errorResponse, json, parseJsonBody, type ApiRequest, type ApiResponse } from './http';
import {
  actionBodySchema,
  listQuerySchema,
  phaseTableSchema,
  ROLLOUT_ACTIONS,
  rolloutActionSchema,
  rolloutDetailSchema,
  rolloutEvidenceSchema,
  startBodySchema,
  type RolloutAction,
} from './schemas';
import { EVIDENCE_LOOKS_PER_GATE, expandEvidenceHistory } from '../plan/evidence-history';
import { buildHistory, displayOf, displayPhase, readRolloutInput, readRolloutStatus, summarize, timeSpentOf } from './status-view';
import { actionAllowedIn, actionsNow, isTerminalPhase, PHASE_TABLE } from '../plan/phases';

/** Runs a handler and turns any thrown error into its HTTP answer (logging the unexpected ones). */
export async function handle(deps: Pick<ApiDeps, 'log'>, operation: string, run: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await run();
  } catch (error) {
    const response = errorResponse(error);
    if (response.status >= 500) {
      deps.log.error('api.error', { operation, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    } else {
      deps.log.info('api.refused', { operation, status: response.status, problem: error instanceof Error ? error.message : String(error) });
    }
    return response;
  }
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, prefix: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const { path, message } = zodIssuePath(parsed.error, prefix);
    throw new ValidationError(path, message);
  }
  return parsed.data;
}

function requireId(request: ApiRequest): string {
  const id = request.params.id ?? '';
  if (!isValidInstanceId(id)) throw new ValidationError('id', INSTANCE_ID_RULE);
  return id;
}

async function loadInstance(deps: ApiDeps, id: string): Promise<InstanceSummary> {
  const instance = await deps.client.getStatus(id);
  if (!instance || instance.name !== ORCHESTRATOR_NAME) throw new RolloutError('NotFound', `no rollout with id "${id}"`);
  return instance;
}

async function accessFor(deps: ApiDeps, instance: InstanceSummary, status: RolloutStatus | undefined): Promise<PolicyAccess> {
  const policyName = status?.policy ?? readRolloutInput(instance).policyName;
  const access = policyName ? await deps.policies.getAccess(policyName) : undefined;
  // A policy removed since the rollout started: nobody identified is allow-listed; key holders still act.
  return access ?? { approvers: ['group:__policy-not-found__'], operators: ['group:__policy-not-found__'] };
}

// ---- list ----------------------------------------------------------------------------------

function encodeContinuation(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64url');
}

function decodeContinuation(token: string): number {
  try {
    const parsed = z.object({ o: z.number().int().nonnegative() }).parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return parsed.o;
  } catch {
    throw new ValidationError('continuation', 'is not a continuation token returned by this API');
  }
}

function matchesStatus(filter: string, instance: InstanceSummary, phase: string): boolean {
  return filter
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .some((wanted) => {
      if (wanted === 'active') return isLive(instance.runtimeStatus);
      if (wanted === 'ended') return !isLive(instance.runtimeStatus);
      return wanted === phase.toLowerCase() || wanted === instance.runtimeStatus.toLowerCase();
    });
}

export async function listRollouts(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  authenticate(request, deps.auth);
  const query = parseWith(listQuerySchema, Object.fromEntries(request.query.entries()), 'query');
  const offset = query.continuation ? decodeContinuation(query.continuation) : 0;
  const instances = await deps.client.listInstances(ORCHESTRATOR_NAME);
  const summaries = instances
    .map((instance) => ({ instance, summary: summarize(instance) }))
    .filter(({ instance, summary }) => {
      if (query.endpoint && summary.endpoint?.toLowerCase() !== query.endpoint.toLowerCase()) return false;
      if (query.model && summary.model?.toLowerCase() !== query.model.toLowerCase()) return false;
      if (query.status && !matchesStatus(query.status, instance, summary.phase)) return false;
      return true;
    })
    // Newest activity first (what an operator scans for); the id breaks ties so pages are stable.
    .sort((a, b) => b.summary.updatedAt.localeCompare(a.summary.updatedAt) || a.instance.instanceId.localeCompare(b.instance.instanceId))
    .map(({ summary }) => summary);
  const page = summaries.slice(offset, offset + query.top);
  const next = offset + query.top < summaries.length ? encodeContinuation(offset + query.top) : undefined;
  return json(200, { items: page, ...(next ? { continuation: next } : {}) });
}

// ---- get -----------------------------------------------------------------------------------

/** The body of GET /api/rollouts/{id} (rolloutDetailSchema) for an instance, at `nowMs`. */
export function rolloutDetail(instance: InstanceSummary, nowMs: number): Immutable<z.input<typeof rolloutDetailSchema>> {
  const status = readRolloutStatus(instance);
  return {
    rolloutId: instance.instanceId,
    runtimeStatus: instance.runtimeStatus,
    phase: displayPhase(instance, status),
    createdAt: new Date(instance.createdTimeMs).toISOString(),
    updatedAt: new Date(status?.updatedAtMs ?? instance.lastUpdatedTimeMs).toISOString(),
    input: instance.input ?? null,
    status: status ?? null,
    allowedActions: allowedActions(instance, status),
    history: buildHistory(status),
    ...(status ? { display: displayOf(status) } : {}),
    timeSpent: timeSpentOf(status, nowMs),
  };
}

export async function getRollout(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  authenticate(request, deps.auth);
  const instance = await loadInstance(deps, requireId(request));
  return json(200, rolloutDetail(instance, deps.clock.now()));
}

/**
 * GET /api/rollouts/{id}/evidence: every kept look of every gate check, in named fields (the
 * status stores them compactly, src/plan/evidence-history.ts). The dashboard's metric charts read it.
 */
export async function getRolloutEvidence(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  authenticate(request, deps.auth);
  const instance = await loadInstance(deps, requireId(request));
  const status = readRolloutStatus(instance);
  return json(
    200,
    rolloutEvidenceSchema.parse({
      rolloutId: instance.instanceId,
      candidate: status?.candidate || null,
      baseline: status?.baseline || null,
      looksPerGate: EVIDENCE_LOOKS_PER_GATE,
      gates: expandEvidenceHistory(status?.evidenceHistory),
    }),
  );
}

// ---- actions -------------------------------------------------------------------------------

function conflict(message: string): RolloutError {
  return new RolloutError('Conflict', message);
}

function describeWhere(status: RolloutStatus): string {
  return `phase ${status.phase}, ${stepPosition(status.step)} (${status.step.kind})`;
}

/** The approval step waiting now (approvalWait), or a 409 saying why nothing waits. */
function waitingApprovalStep(instance: InstanceSummary, status: RolloutStatus | undefined): number {
  const wait = approvalWait(instance, status);
  const id = instance.instanceId;
  switch (wait.kind) {
    case 'waits':
      return wait.step;
    case 'ended':
      throw conflict(`rollout ${id} has ended (${wait.phase}); nothing waits for approval`);
    case 'none':
      throw conflict(
        wait.status
          ? `rollout ${id} is not waiting for an approval (${describeWhere(wait.status)})`
          : `rollout ${id} has not published its status yet; nothing waits for approval`,
      );
  }
}

/** GET /api/phases: the phase table every client decides with (terminal, tone, allowed actions). */
export async function getPhaseTable(): Promise<ApiResponse> {
  return json(200, phaseTableSchema.parse({ phases: PHASE_TABLE }));
}

/** Why an action is not possible in a phase, in the operator's terms. */
function notNow(action: ControlAction, status: RolloutStatus): string {
  const possible = PHASE_TABLE[status.phase].actions;
  const hint = possible.length > 0 ? `; possible now: ${possible.join(', ')}` : '';
  switch (action) {
    case 'resume':
      return `is not paused (${describeWhere(status)})${hint}`;
    case 'retry':
      return `has not failed (${describeWhere(status)}); retry applies only after Failed${hint}`;
    case 'pause':
      if (status.phase === 'Paused') return `is already paused${hint}`;
      return `cannot pause in phase ${status.phase}${hint}`;
    default:
      if (status.phase === 'RollingBack') return `is already rolling back; ${action} is not possible`;
      return `cannot ${action} in phase ${status.phase}${hint}`;
  }
}

/**
 * Why a control action does not fit the rollout now, or undefined when it does. The phase table
 * (src/plan/phases.ts) decides, the same table the orchestrator applies to the event. An
 * exception to the table (an action accepted in a state the phase alone does not show) belongs
 * here, and only here: the 409 and the detail's `allowedActions` both come from it.
 */
function controlRefusal(action: ControlAction, instance: InstanceSummary, status: RolloutStatus | undefined): string | undefined {
  const id = instance.instanceId;
  if (!isLive(instance.runtimeStatus)) return `rollout ${id} has ended (${displayPhase(instance, status)}); ${action} is not possible`;
  if (!status) return `rollout ${id} has not published its status yet; try ${action} again in a moment`;
  if (isTerminalPhase(status.phase)) {
    // Ended, but a failed delete may still be retried: abort stops it (the phase table's cleanupActions).
    if (actionsNow(status).includes(action)) return undefined;
    const retrying = status.retrying ? `; only ${actionsNow(status).join(', ')} is possible while a failed delete is retried` : '';
    return `rollout ${id} has ended (${status.phase})${retrying}; ${action} is not possible`;
  }
  if (!actionAllowedIn(status.phase, action)) return `rollout ${id} ${notNow(action, status)}`;
  return undefined;
}

/** Throws 409 when a control action does not fit the rollout now (controlRefusal says why). */
export function checkControlFits(action: ControlAction, instance: InstanceSummary, status: RolloutStatus | undefined): void {
  const refusal = controlRefusal(action, instance, status);
  if (refusal !== undefined) throw conflict(refusal);
}

/**
 * The actions the API accepts on this rollout now, i.e. those it would not refuse with a 409
 * (who may take them is decided per caller afterwards: 403). Served with the detail, so the
 * dashboard and the CLI offer exactly what the API takes.
 */
function allowedActions(instance: InstanceSummary, status: RolloutStatus | undefined): RolloutAction[] {
  return ROLLOUT_ACTIONS.filter((action) =>
    action === 'approve' || action === 'reject'
      ? approvalWait(instance, status).kind === 'waits'
      : controlRefusal(action, instance, status) === undefined,
  );
}

async function readActionBody(request: ApiRequest): Promise<{ by?: string; comment?: string }> {
  const raw = parseJsonBody(request);
  return parseWith(actionBodySchema, raw ?? {}, 'body');
}

export async function raiseApproval(
  deps: ApiDeps,
  instance: InstanceSummary,
  step: number,
  decision: 'approve' | 'reject',
  by: string,
  comment: string | undefined,
): Promise<ApprovalEvent> {
  const event: ApprovalEvent = approvalEventSchema.parse({
    decision,
    by,
    step,
    rolloutId: instance.instanceId,
    atMs: deps.clock.now(),
    ...(comment !== undefined ? { comment } : {}),
  });
  await deps.client.raiseEvent(instance.instanceId, APPROVAL_EVENT, event);
  deps.log.info('rollout.approval', { rolloutId: instance.instanceId, step, decision, by });
  return event;
}

export async function actOnRollout(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const caller: Caller = authenticate(request, deps.auth);
  const id = requireId(request);
  const action: RolloutAction = parseWith(rolloutActionSchema, request.params.action, 'action');
  const body = await readActionBody(request);
  const instance = await loadInstance(deps, id);
  const status = readRolloutStatus(instance);
  const identity = identityRecord(caller, body.by);
  const by = identity.name;
  const comment = annotatedComment(identity, body.comment);

  if (action === 'approve' || action === 'reject') {
    const step = waitingApprovalStep(instance, status);
    const access = await accessFor(deps, instance, status);
    authorize(caller, access.approvers, 'approver', `rollout ${id}`, by);
    await raiseApproval(deps, instance, step, action, by, comment);
    return json(202, { rolloutId: id, action, by, identity, step, accepted: true });
  }

  checkControlFits(action, instance, status);
  if (action === 'retry') await requireStillRegistered(deps, instance);
  const access = await accessFor(deps, instance, status);
  authorize(caller, access.operators, 'operator', `rollout ${id}`, by);
  const event: ControlEvent = controlEventSchema.parse({
    action,
    by,
    atMs: deps.clock.now(),
    ...(comment !== undefined ? { comment } : {}),
  });
  await deps.client.raiseEvent(id, CONTROL_EVENT, event);
  deps.log.info('rollout.control', { rolloutId: id, action, by, verified: identity.verified });
  return json(202, { rolloutId: id, action, by, identity, step: status?.step.index, accepted: true });
}

/**
 * A retry restarts the rollout, which asks whoever holds the endpoint now to step aside: refuse it
 * (409) when the version has left the registry, before anything is superseded.
 */
async function requireStillRegistered(deps: ApiDeps, instance: InstanceSummary): Promise<void> {
  const input = readRolloutInput(instance);
  if (!deps.modelRegistry || !input.workspace || !input.model) return;
  try {
    await registeredVersion(deps.modelRegistry, input.workspace, input.model.name, input.model.version);
  } catch (error) {
    if (error instanceof RolloutError && error.code === 'NotFound')
      throw conflict(`rollout ${instance.instanceId} cannot be retried: ${error.message}`);
    throw error;
  }
}

// ---- manual start --------------------------------------------------------------------------

export async function startRolloutHandler(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const caller = authenticate(request, deps.auth);
  const body = parseWith(startBodySchema, parseJsonBody(request) ?? {}, 'body');
  let tags: Readonly<Record<string, string>> = {};
  let properties: Readonly<Record<string, string>> = {};
  if (deps.modelRegistry) {
    ({ tags, properties } = await registeredVersion(deps.modelRegistry, deps.workspace, body.model, body.version));
  }
  const model = { name: body.model, version: body.version, tags, properties };
  const resolution = await deps.policies.resolve(
    { workspace: deps.workspace, name: model.name, version: model.version, tags },
    body.policy,
  );
  if (body.dryRun) {
    // The same decision a registration event gets, said instead of acted on.
    if (resolution.kind === 'skipped')
      return json(200, { wouldStart: false, reason: `model ${model.name}:${model.version} opted out of rollouts (${resolution.reason})` });
    if (resolution.kind === 'noMatch')
      return json(200, { wouldStart: false, reason: `no policy applies to model ${model.name}:${model.version} (${resolution.reason})` });
    return json(200, {
      wouldStart: true,
      policy: resolution.policyName,
      reason: `policy ${resolution.policyName} applies to model ${model.name}:${model.version}`,
    });
  }
  if (resolution.kind === 'skipped') throw conflict(`model ${model.name}:${model.version} opted out of rollouts (${resolution.reason})`);
  if (resolution.kind === 'noMatch') throw conflict(`no policy applies to model ${model.name}:${model.version} (${resolution.reason})`);
  authorize(caller, resolution.access.operators, 'operator', `policy ${resolution.policyName}`);

  const outcome = await startRollout(
    {
      source: 'manual',
      requestedBy: recordedIdentity(caller, body.by),
      workspace: deps.workspace,
      model,
      policyName: resolution.policyName,
    },
    deps,
  );
  if (outcome.kind === 'skipped' || outcome.kind === 'noMatch') throw conflict(outcome.reason);
  const statusUrl = `${deps.links.publicBaseUrl.replace(/\/+$/, '')}/api/rollouts/${outcome.rolloutId}`;
  const bodyOut = {
    rolloutId: outcome.rolloutId,
    created: outcome.kind === 'started',
    policy: outcome.policyName,
    endpoint: outcome.endpoint,
    ...(outcome.kind === 'duplicate' ? { runtimeStatus: outcome.runtimeStatus } : {}),
    statusUrl,
  };
  return json(outcome.kind === 'started' ? 202 : 200, bodyOut, { location: statusUrl });
}
