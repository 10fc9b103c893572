/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the same zod schemas the handlers
 * validate with (served at GET /api/openapi.json).
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  actionBodySchema,
  actionResultSchema,
  dryRunResultSchema,
  errorSchema,
  phaseTableSchema,
  listQuerySchema,
  rolloutActionSchema,
  rolloutDetailSchema,
  rolloutEvidenceSchema,
  rolloutListSchema,
  startBodySchema,
  startResultSchema,
} from './schemas';

const errorContent = { 'application/json': { schema: errorSchema } };
const errors = {
  400: { description: 'Malformed input; `error.field` names the field.', content: errorContent },
  401: { description: 'Missing or invalid function key (x-functions-key header or code query parameter).', content: errorContent },
  403: { description: 'The authenticated caller is not on the policy allow-list.', content: errorContent },
};

export function buildOpenApiDocument(serverUrl: string): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'functionKey', { type: 'apiKey', in: 'header', name: 'x-functions-key' });
  const idParam = z.object({ id: z.string().min(1).meta({ description: 'Rollout id (also the Durable instance id).' }) });
  const security = [{ functionKey: [] }];

  registry.registerPath({
    method: 'get',
    path: '/rollouts',
    summary: 'List rollouts, newest first',
    security,
    request: { query: listQuerySchema.omit({ code: true }) },
    responses: {
      200: { description: 'A page of rollouts.', content: { 'application/json': { schema: rolloutListSchema } } },
      400: errors[400],
      401: errors[401],
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/rollouts',
    summary: 'Start a rollout by hand (teams without Event Grid)',
    security,
    request: { body: { content: { 'application/json': { schema: startBodySchema } } } },
    responses: {
      202: { description: 'Started.', content: { 'application/json': { schema: startResultSchema } } },
      200: {
        description:
          'A rollout of this version already exists; nothing new was started. With `dryRun: true`: whether a rollout would start, and why (StartRolloutDryRun).',
        content: { 'application/json': { schema: z.union([startResultSchema, dryRunResultSchema]) } },
      },
      ...errors,
      404: { description: 'The model version is not registered.', content: errorContent },
      409: { description: 'No policy applies, or the version opted out (`rollout: skip`).', content: errorContent },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/rollouts/{id}',
    summary: 'One rollout: its status and a readable history (steps, gate evidence, approvals, overrides)',
    security,
    request: { params: idParam },
    responses: {
      200: { description: 'The rollout.', content: { 'application/json': { schema: rolloutDetailSchema } } },
      401: errors[401],
      404: { description: 'Unknown rollout id.', content: errorContent },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/rollouts/{id}/evidence',
    summary:
      "Every gate check's numbers at each look: candidate and baseline values, allowed band, confidence bounds, verdict, traffic split",
    security,
    request: { params: idParam },
    responses: {
      200: {
        description: 'The evidence history (empty gates before the first look).',
        content: { 'application/json': { schema: rolloutEvidenceSchema } },
      },
      401: errors[401],
      404: { description: 'Unknown rollout id.', content: errorContent },
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/rollouts/{id}/{action}',
    summary: 'Approve, reject, abort, pause, resume, promote now, or retry',
    description:
      'approve / reject need an approval the rollout currently waits for (approvers allow-list); the other actions need the operators allow-list. The recorded identity is the App Service authenticated caller when present, else `by`.',
    security,
    request: {
      params: idParam.extend({ action: rolloutActionSchema }),
      body: { content: { 'application/json': { schema: actionBodySchema } } },
    },
    responses: {
      202: { description: 'The event was raised to the rollout.', content: { 'application/json': { schema: actionResultSchema } } },
      ...errors,
      404: { description: 'Unknown rollout id.', content: errorContent },
      409: {
        description: 'The action does not fit the current phase (nothing waits for approval, already ended, not paused, ...).',
        content: errorContent,
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/approvals/{token}',
    summary: 'Signed approval link: confirmation page',
    description:
      'Shows what is decided and the evidence; does not act (link scanners prefetch GETs). Refusals: 400 malformed, 403 tampered, 410 expired, 409 replayed / wrong step / ended.',
    request: { params: z.object({ token: z.string() }) },
    responses: {
      200: { description: 'HTML confirmation page (JSON with Accept: application/json).' },
      403: { description: 'Tampered.' },
      409: { description: 'Used, wrong step or ended.' },
      410: { description: 'Expired.' },
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/approvals/{token}',
    summary: 'Signed approval link: decide (single use)',
    request: {
      params: z.object({ token: z.string() }),
      body: {
        content: {
          'application/x-www-form-urlencoded': { schema: z.object({ by: z.string().optional(), comment: z.string().optional() }) },
        },
      },
    },
    responses: {
      200: { description: 'Recorded (HTML); 202 JSON with Accept: application/json.' },
      403: { description: 'Tampered.' },
      409: { description: 'Used, wrong step or ended.' },
      410: { description: 'Expired.' },
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/events/eventgrid',
    summary: 'Event Grid schema webhook (ModelRegistered); answers the SubscriptionValidation handshake',
    security,
    request: {
      body: {
        content: {
          'application/json': {
            schema: z.array(
              z.looseObject({ id: z.string(), eventType: z.string(), subject: z.string(), topic: z.string(), data: z.unknown() }),
            ),
          },
        },
      },
    },
    responses: { 200: { description: 'Accepted (or the validation response).' }, 400: errors[400], 401: errors[401] },
  });
  registry.registerPath({
    method: 'post',
    path: '/events/cloudevents',
    summary: 'CloudEvents 1.0 webhook (ModelRegistered); OPTIONS answers the abuse-protection handshake',
    security,
    request: {
      body: {
        content: {
          'application/cloudevents+json': {
            schema: z.looseObject({
              specversion: z.literal('1.0'),
              id: z.string(),
              type: z.string(),
              source: z.string(),
              subject: z.string().optional(),
              data: z.unknown(),
            }),
          },
        },
      },
    },
    responses: { 200: { description: 'Accepted.' }, 400: errors[400], 401: errors[401] },
  });

  registry.registerPath({
    method: 'get',
    path: '/phases',
    summary: 'The phase table: per phase, whether it is terminal, its display tone and the operator actions allowed in it',
    responses: {
      200: {
        description: 'The table (the same one the API and the orchestrator decide with).',
        content: { 'application/json': { schema: phaseTableSchema } },
      },
    },
  });

  const generator = new OpenApiGeneratorV31(registry.definitions);
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'aml-rollout API',
      version: '1.0.0',
      description: 'Operate and approve model rollouts to Azure ML managed online endpoints. See docs/api.md.',
    },
    servers: [{ url: serverUrl }],
  });
}
