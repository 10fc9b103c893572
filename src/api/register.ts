/**
 * Registrations of the API, the webhooks, the approval-link ledger entity and the Event Grid
 * trigger with @azure/functions / durable-functions. functions/*.ts call these with the real
 * composition; fixture apps in tests call them with their own options (e.g. a policy resolver).
 */
import { app, type HttpMethod, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { getSettings } from '../config';
import { ingestEvent } from '../ingest/ingest-event';
import { showApprovalLink, useApprovalLink } from './approval-link-handler';
import { APPROVAL_LEDGER_ENTITY, ledgerOperation, type LedgerState } from './approval-ledger';
import type { ApiDeps } from './deps';
import { apiDepsFor, toApiRequest, toHttpResponse, type HostDepsOptions } from './functions-host';
import { json, type ApiRequest, type ApiResponse } from './http';
import { buildOpenApiDocument } from './openapi';
import { actOnRollout, getPhaseTable, getRollout, getRolloutEvidence, handle, listRollouts, startRolloutHandler } from './rollouts';
import { cloudEventsWebhook, eventGridWebhook } from './webhooks';

type Handler = (request: ApiRequest, deps: ApiDeps) => Promise<ApiResponse>;

/** The Event Grid trigger's name (the subscription's destination refers to it). */
const MODEL_REGISTERED_FUNCTION = 'modelRegistered';

function registerRoute(
  name: string,
  options: { methods: HttpMethod[]; route: string; authLevel: 'function' | 'anonymous' },
  host: HostDepsOptions,
  byMethod: Partial<Record<string, Handler>>,
): void {
  app.http(name, {
    ...options,
    extraInputs: [df.input.durableClient()],
    handler: async (request, context: InvocationContext) => {
      const deps = apiDepsFor(context, host);
      return toHttpResponse(
        await handle(deps, name, async () => {
          const apiRequest = await toApiRequest(request);
          const run = byMethod[apiRequest.method];
          if (!run) return json(405, { error: { code: 'InvalidInput', message: `method ${apiRequest.method} is not allowed here` } });
          return run(apiRequest, deps);
        }),
      );
    },
  });
}

export function registerRolloutApi(host: HostDepsOptions = {}): void {
  df.app.entity(APPROVAL_LEDGER_ENTITY, (context) => {
    const state = context.df.getState(() => undefined) as LedgerState | undefined;
    context.df.setState(ledgerOperation(state, context.df.operationName ?? '', context.df.getInput()));
  });

  registerRoute('rolloutsCollection', { methods: ['GET', 'POST'], route: 'rollouts', authLevel: 'function' }, host, {
    GET: listRollouts,
    POST: startRolloutHandler,
  });
  registerRoute('rolloutItem', { methods: ['GET'], route: 'rollouts/{id}', authLevel: 'function' }, host, { GET: getRollout });
  // A literal segment: the host matches it before the {action} template below (and the methods differ).
  registerRoute('rolloutEvidence', { methods: ['GET'], route: 'rollouts/{id}/evidence', authLevel: 'function' }, host, {
    GET: getRolloutEvidence,
  });
  registerRoute('rolloutAction', { methods: ['POST'], route: 'rollouts/{id}/{action}', authLevel: 'function' }, host, {
    POST: actOnRollout,
  });
  // The signature in the link is the credential (a Teams/Slack reader has no function key).
  registerRoute('approvalLink', { methods: ['GET', 'POST'], route: 'approvals/{token}', authLevel: 'anonymous' }, host, {
    GET: showApprovalLink,
    POST: useApprovalLink,
  });
  registerRoute('openApi', { methods: ['GET'], route: 'openapi.json', authLevel: 'anonymous' }, host, {
    GET: async () =>
      json(200, buildOpenApiDocument(`${getSettings().PUBLIC_BASE_URL.replace(/\/+$/, '')}/api`), { 'access-control-allow-origin': '*' }),
  });
  // Public facts about the product (no rollout data): the dashboard reads it before a key is typed.
  registerRoute('phases', { methods: ['GET'], route: 'phases', authLevel: 'anonymous' }, host, { GET: getPhaseTable });
  registerRoute('eventGridWebhook', { methods: ['POST'], route: 'events/eventgrid', authLevel: 'function' }, host, {
    POST: eventGridWebhook,
  });
  registerRoute('cloudEventsWebhook', { methods: ['POST', 'OPTIONS'], route: 'events/cloudevents', authLevel: 'function' }, host, {
    POST: cloudEventsWebhook,
    OPTIONS: cloudEventsWebhook,
  });
}

/**
 * The Event Grid trigger. An event that can never start a rollout (malformed, an unregistered
 * version, a tag naming an unknown policy, tied policies) is logged with its raw body and the
 * reason, and acknowledged: throwing would make Event Grid redeliver it for 24 hours to the same
 * end. Only a failure that may pass later (store, registry or policy folder unavailable) throws,
 * so Event Grid retries.
 */
export function registerModelRegisteredTrigger(host: HostDepsOptions = {}): void {
  app.eventGrid(MODEL_REGISTERED_FUNCTION, {
    extraInputs: [df.input.durableClient()],
    handler: async (event: unknown, context: InvocationContext) => {
      const deps = apiDepsFor(context, host);
      await ingestEvent(event, undefined, deps);
    },
  });
}
