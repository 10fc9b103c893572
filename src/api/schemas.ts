/**
 * The HTTP API's bodies and answers as zod schemas: request bodies are validated with them, and
 * the OpenAPI document (openapi.ts) is generated from them, so the document cannot drift from
 * what the handlers accept.
 */
import { z } from 'zod';
import { PHASES, rolloutStatusSchema, splitSchema as split, TIME_CATEGORIES } from '../plan/types';
import { OPERATOR_ACTIONS } from '../plan/phases';
import { modelVersionSchema } from '../ingest/model-registered';

const comment = z.string().max(2000, 'must be at most 2000 characters').meta({ description: 'Free text recorded with the action.' });

export const actionBodySchema = z
  .strictObject({
    by: z.string().trim().min(1).max(256).optional().meta({
      description:
        'Who acts. Recorded only for callers with the function key alone; when App Service authentication identifies the caller, the authenticated identity is recorded instead.',
      example: 'alice@contoso.com',
    }),
    comment: comment.optional(),
  })
  .meta({ id: 'ActionRequest', description: 'Body of approve / reject / abort / pause / resume / promote / retry (may be empty).' });

export const startBodySchema = z
  .strictObject({
    model: z.string().trim().min(1).max(255).meta({ description: 'Registered model name.', example: 'credit-model' }),
    version: modelVersionSchema.meta({ description: 'Model version (a number is accepted and treated as a string).', example: '2' }),
    policy: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .optional()
      .meta({ description: 'Policy name; absent = the policy that matches the model (tags, match rules).' }),
    by: z.string().trim().min(1).max(256).optional(),
    dryRun: z.boolean().optional().meta({
      description:
        'Only say whether a rollout would start and why not (nothing is started); the CLI asks this after a registration started nothing.',
    }),
  })
  .meta({ id: 'StartRolloutRequest' });

export const ROLLOUT_ACTIONS = ['approve', 'reject', 'abort', 'pause', 'resume', 'promote', 'retry'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];
export const rolloutActionSchema = z.enum(ROLLOUT_ACTIONS);

/** Runtime statuses of a Durable Functions instance, as the list filter accepts them. */
const RUNTIME_STATUSES = ['Pending', 'Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Terminated', 'Suspended'] as const;
/** Every value the list's status filter understands (lower case); anything else is a 400, not an empty list. */
const STATUS_FILTERS = new Set(['active', 'ended', ...PHASES, ...RUNTIME_STATUSES].map((v) => v.toLowerCase()));

export const listQuerySchema = z.strictObject({
  endpoint: z.string().min(1).optional().meta({ description: 'Only rollouts to this endpoint.' }),
  model: z.string().min(1).optional().meta({ description: 'Only rollouts of this model.' }),
  status: z
    .string()
    .min(1)
    .refine((value) => value.split(',').every((part) => part.trim() === '' || STATUS_FILTERS.has(part.trim().toLowerCase())), {
      message: `must be a comma-separated list of: active, ended, a phase (${PHASES.join(', ')}) or a runtime status (${RUNTIME_STATUSES.join(', ')})`,
    })
    .optional()
    .meta({
      description:
        'Phase (e.g. AwaitingApproval), runtime status (Running, Completed), or `active` / `ended`; case-insensitive; comma-separated for several.',
    }),
  top: z.coerce
    .number()
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(500, 'must be at most 500')
    .default(50)
    .meta({ description: 'Page size (1-500, default 50).' }),
  continuation: z.string().min(1).optional().meta({ description: 'The `continuation` value of the previous page.' }),
  code: z.string().optional().meta({ description: 'Function key (alternative to the x-functions-key header).' }),
});

const historyEntrySchema = z
  .object({
    atMs: z.number(),
    at: z.string().meta({ description: 'ISO 8601 time.' }),
    kind: z.enum(['journal', 'gate', 'approval', 'override']),
    step: z.number(),
    text: z.string(),
  })
  .meta({ id: 'HistoryEntry' });

export const rolloutSummarySchema = z
  .object({
    rolloutId: z.string(),
    runtimeStatus: z.string(),
    phase: z.string(),
    endpoint: z.string().optional(),
    model: z.string().optional(),
    version: z.string().optional(),
    policy: z.string().optional(),
    baseline: z.string().optional(),
    candidate: z.string().optional(),
    step: z
      .object({
        index: z.number().meta({ description: '0-based plan index (approval events carry it); equals count when the plan is done.' }),
        count: z.number(),
        kind: z.string(),
        text: z.string().meta({ description: 'e.g. "step 3 of 16" (1-based) or "all 16 steps done".' }),
      })
      .optional(),
    traffic: split.optional(),
    mirror: split.optional(),
    trafficText: z.string().optional().meta({ description: 'e.g. "blue 90%, green 10%; mirrored: green 20%".' }),
    waitingFor: z.string().optional().meta({ description: 'One line, e.g. "baking until 18:24 UTC"; absent when nothing is awaited.' }),
    outcome: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    endedAt: z.string().optional(),
  })
  .meta({ id: 'RolloutSummary' });

export const rolloutListSchema = z
  .object({
    items: z.array(rolloutSummarySchema),
    continuation: z.string().optional().meta({ description: 'Pass as ?continuation= for the next page; absent on the last page.' }),
  })
  .meta({ id: 'RolloutList' });

export const rolloutDetailSchema = z
  .object({
    rolloutId: z.string(),
    runtimeStatus: z.string(),
    phase: z.string().meta({
      description: 'The published phase, or one derived from the runtime status before the first status (Pending, Failed, Aborted).',
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
    input: z.unknown(),
    // null until the orchestrator publishes its first status. The status is src/plan's one schema
    // (its OpenAPI component is named there, as GateResult's and MetricEvidence's are in src/analysis).
    status: rolloutStatusSchema.nullable(),
    allowedActions: z.array(rolloutActionSchema).meta({
      description:
        'The actions the API accepts on this rollout now: any other is answered 409 (who may take them is checked per caller: 403). The dashboard offers exactly these; GET /api/phases says what each phase allows in general.',
    }),
    history: z.array(historyEntrySchema),
    display: z
      .object({
        step: z.string(),
        traffic: z.string(),
        waiting: z.string().optional(),
        gates: z.array(
          z.object({
            gate: z.string(),
            look: z.number(),
            verdict: z.string(),
            reason: z.string(),
            checkedAtMs: z.number(),
            rows: z.array(
              z.object({
                metric: z.string(),
                verdict: z.string(),
                candidate: z.string(),
                baseline: z.string(),
                threshold: z.string(),
                samples: z.string(),
                test: z.string(),
                decidedBy: z.string().optional(),
                detail: z.string().optional(),
              }),
            ),
            notes: z
              .array(z.string())
              .optional()
              .meta({ description: "A prediction-agreement gate's counts and disagreeing examples, one line each." }),
          }),
        ),
        journalDropped: z.string().optional().meta({
          description:
            'e.g. "12 older entries not shown: the status is size-limited" (status.journalDropped in words); absent when the journal is whole.',
        }),
      })
      .optional()
      .meta({ description: 'The step, traffic and wait in the words the CLI, dashboard and notifications use.' }),
    timeSpent: z
      .array(z.object({ category: z.enum(TIME_CATEGORIES), label: z.string(), ms: z.number(), text: z.string() }))
      .meta({ description: 'Where the time went, per kind of work (open interval counted up to now).' }),
  })
  .meta({ id: 'RolloutDetail' });

const evidencePointSchema = z
  .object({
    look: z.number().int().meta({ description: "The gate's look number (1-based)." }),
    atMs: z.number(),
    verdict: z.enum(['pass', 'fail', 'inconclusive']).meta({ description: "This check's verdict at this look." }),
    candidate: z.number().nullable(),
    baseline: z.number().nullable(),
    allowed: z.object({ min: z.number().optional(), max: z.number().optional() }).meta({
      description:
        "The candidate values the check allowed at this look, in the metric's unit (relative thresholds applied to the baseline's value).",
    }),
    confidence: z
      .object({ lower: z.number().optional(), upper: z.number().optional() })
      .meta({ description: "Confidence bounds on the candidate's value at the gate's confidence, where the test gives one." }),
    pValue: z.number().optional().meta({ description: 'p-value of the test that decided the verdict.' }),
    requests: z.object({ candidate: z.number(), baseline: z.number() }),
    traffic: z
      .object({ candidate: z.number(), baseline: z.number(), mirroredToCandidate: z.number() })
      .meta({ description: 'Live traffic percent at the look, and the share mirrored to the candidate.' }),
  })
  .meta({ id: 'EvidencePoint' });

export const rolloutEvidenceSchema = z
  .object({
    rolloutId: z.string(),
    candidate: z.string().nullable(),
    baseline: z.string().nullable(),
    looksPerGate: z
      .number()
      .int()
      .meta({ description: 'Looks kept per gate: beyond it, older looks are thinned (the first and the latest always stay).' }),
    gates: z.array(
      z.object({
        gate: z.string(),
        recorded: z.number().int().meta({ description: 'Looks taken, thinned ones included.' }),
        kept: z.number().int(),
        looks: z.array(z.object({ look: z.number().int(), atMs: z.number(), verdict: z.enum(['pass', 'fail', 'inconclusive']) })),
        checks: z.array(z.object({ metric: z.string(), threshold: z.string(), points: z.array(evidencePointSchema) })),
      }),
    ),
  })
  .meta({ id: 'RolloutEvidence', description: 'Per-look numbers of every gate check, for charts.' });

export const actionResultSchema = z
  .object({
    rolloutId: z.string(),
    action: rolloutActionSchema,
    by: z.string(),
    identity: z
      .object({
        name: z.string(),
        verified: z
          .boolean()
          .meta({ description: 'True only when App Service authentication identified the caller; a typed name is a claim.' }),
        source: z.enum(['appServiceAuth', 'apiKey', 'signedLink']),
      })
      .meta({ description: 'How the recorded name was established.' }),
    step: z.number().optional(),
    accepted: z.literal(true),
  })
  .meta({ id: 'ActionResult' });

export const startResultSchema = z
  .object({
    rolloutId: z.string(),
    created: z.boolean(),
    policy: z.string(),
    endpoint: z.string(),
    runtimeStatus: z.string().optional(),
    statusUrl: z.string(),
  })
  .meta({ id: 'StartRolloutResult' });

/** POST /api/rollouts with `dryRun: true`: the decision a registration would get, nothing started. */
export const dryRunResultSchema = z
  .object({
    wouldStart: z.boolean(),
    policy: z.string().optional().meta({ description: 'The policy that applies, when one does.' }),
    reason: z.string().meta({ description: 'Why a rollout would start or not, in one line.' }),
  })
  .meta({ id: 'StartRolloutDryRun' });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional().meta({ description: 'The offending field, for 400s.' }),
    }),
  })
  .meta({ id: 'Error' });

/** GET /api/phases: the phase table (src/plan/phases.ts) for the dashboard and other clients. */
export const phaseTableSchema = z
  .strictObject({
    phases: z.record(
      z.enum(PHASES),
      z.strictObject({
        mode: z.enum(['queued', 'forward', 'rollback', 'failed', 'ended']),
        terminal: z.boolean().meta({ description: 'The rollout is over for good (Failed is not: it may be retried).' }),
        tone: z.enum(['good', 'bad', 'warn', 'info']),
        actions: z.array(z.enum(OPERATOR_ACTIONS)).meta({ description: 'Operator actions the API accepts in this phase.' }),
        cleanupActions: z
          .array(z.enum(OPERATOR_ACTIONS))
          .optional()
          .meta({ description: 'Terminal phases: operator actions accepted while a failed delete is still retried (status.retrying).' }),
        next: z.array(z.enum(PHASES)),
      }),
    ),
  })
  .meta({ id: 'PhaseTable' });
