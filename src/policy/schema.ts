/**
 * The rollout policy, as a zod schema: field types, ranges and defaults. Rules that relate
 * several fields (steps ascending, gate references, known metrics, ...) live in cross-check.ts,
 * so this schema stays exportable as a plain JSON Schema for editors (json-schema.ts).
 *
 * Objects are strict: an unknown key is an error, because a misspelt field (`bakeMinute`) that is
 * silently ignored is exactly the kind of mistake a rollout policy must not hide.
 */
import { z } from 'zod';
import { COST_OUTCOMES } from '../analysis/cost';

/** Version of the policy format; the only one so far. */
const POLICY_API_VERSION = 'aml-rollout/v1';

export const STRATEGY_KEYS = ['canary', 'blueGreen', 'shadow', 'abTest', 'recreate'] as const;
export type StrategyKey = (typeof STRATEGY_KEYS)[number];

/** Azure ML caps mirrored traffic at 50 percent of live traffic. */
export const MAX_MIRROR_PERCENT = 50;

/** Placeholders a candidate deployment-name pattern may use. */
export const DEPLOYMENT_NAME_PLACEHOLDERS = ['model', 'version', 'strategy'] as const;
const DEFAULT_DEPLOYMENT_NAME_PATTERN = '{model}-v{version}';

/**
 * What a rollout tells people about: the one list of notification kinds. Policies subscribe their
 * channels to these (`notifications.events`) and the Notifier port's `NotificationKind` is this type.
 */
export const NOTIFICATION_EVENTS = [
  'rolloutStarted',
  'stepCompleted',
  'gateFailed',
  'approvalRequested',
  'promoted',
  'rolledBack',
  'failed',
  // After the outcome: deleting a deployment (the old one after promotion, the candidate after a
  // rollback) failed and is retried; and once it finally succeeded.
  'cleanupFailed',
  'cleanupDone',
] as const;
export type NotificationKind = (typeof NOTIFICATION_EVENTS)[number];

export const NOTIFICATION_CHANNELS = ['teams', 'slack', 'webhook'] as const;

/** What a newer version does to a running rollout of the same endpoint (see `concurrency` below). */
export const CONCURRENCY_MODES = ['supersede', 'queue'] as const;

const MIRROR_LIMIT_MESSAGE = 'must be at most 50 (Azure mirrors at most 50 percent of live traffic)';

const minutes = z.number().min(0);
const positiveMinutes = z.number().positive();

/** Names used as keys inside the policy (gates, approvals, custom metrics). */
const refName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, 'must start with a letter and use only letters, digits, "_" and "-" (at most 63 characters)');

/** A person (UPN, e.g. alice@contoso.com) or an Entra ID group (`group:<name or object id>`). */
const principal = z
  .string()
  .regex(
    /^(group:\S.*|[^@\s]+@[^@\s]+\.[^@\s]+)$/,
    'must be a user principal name (alice@contoso.com) or a group (group:<name or object id>)',
  )
  .meta({ description: 'A user principal name (alice@contoso.com) or an Entra ID group (group:<name or object id>).' });

const gateRefs = z.array(refName).meta({ description: 'Names of gates declared under `gates`.' });

/** An Azure ML workspace's ARM id: subscription, resource group and name (an event's topic carries it). */
export const WORKSPACE_ID_PATTERN =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/?$/i;

const WORKSPACE_MATCH_RULE =
  "must be the workspace's full id /subscriptions/{subscription}/resourceGroups/{resource group}/providers/Microsoft.MachineLearningServices/workspaces/{name} (each part may be a glob), or a workspace name glob such as ml-prod* (which then matches only in the subscription and resource group the app is configured with)";

const matchSchema = z
  .strictObject({
    workspace: z
      .string()
      .min(1)
      .refine((value) => !value.includes('/') || WORKSPACE_ID_PATTERN.test(value), { error: WORKSPACE_MATCH_RULE })
      .optional()
      .meta({
        description:
          'The Azure ML workspace: its full id /subscriptions/{subscription}/resourceGroups/{resource group}/providers/Microsoft.MachineLearningServices/workspaces/{name}, each part a glob (case-insensitive); or a name glob alone, which matches only in the subscription and resource group the app is configured with (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP). Absent = any workspace.',
      }),
    model: z
      .string()
      .min(1)
      .meta({ description: 'Glob on the registered model name, e.g. `credit-model*` (`*` any run of characters, `?` one character).' }),
    tags: z
      // YAML reads `version: 2` as a number; tag values are strings in Azure, so accept and convert.
      .record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()]).transform(String))
      .default({})
      .meta({ description: 'Every listed tag must be on the model version; values are globs (`*` = tag present with any value).' }),
    priority: z
      .number()
      .int()
      .default(0)
      .meta({ description: 'When several policies match a model, the highest priority wins; a tie is an error.' }),
  })
  .meta({ description: 'Which model versions this policy rolls out.' });

const targetSchema = z
  .strictObject({
    endpoint: z
      .string()
      .regex(
        /^[A-Za-z](?:[A-Za-z0-9]|-(?!-)){1,30}[A-Za-z0-9]$/,
        'must be an Azure ML endpoint name: start with a letter, 3-32 letters, digits or single dashes, not end with a dash',
      )
      .meta({ description: 'The managed online endpoint the model is rolled out to (in the workspace the model was registered in).' }),
    deploymentName: z.string().min(1).default(DEFAULT_DEPLOYMENT_NAME_PATTERN).meta({
      description:
        'Pattern for the candidate deployment name; placeholders {model}, {version}, {strategy}. The result is sanitised to Azure rules (letter first, 3-32 letters/digits/single dashes).',
    }),
    instanceCount: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .meta({ description: "Instances for the candidate; absent = the live deployment's count." }),
  })
  .meta({ description: 'Where the model goes.' });

const smokeTestSchema = z
  .strictObject({
    requests: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .meta({ description: 'Direct requests sent to the candidate (header azureml-model-deployment).' }),
    payload: z.json().meta({ description: 'JSON body of each request (what the scoring script expects).' }),
    maxFailures: z
      .number()
      .int()
      .min(0)
      .default(0)
      .meta({ description: 'How many requests may fail (any answer that is not 2xx, or no answer) before the candidate is rejected.' }),
  })
  .meta({
    description:
      'Requests sent straight to the candidate before it gets any traffic. Required: no deployment takes live traffic without passing it.',
  });

const metricCheckSchema = z
  .strictObject({
    metric: z.string().min(1).meta({
      description:
        'requestCount, failedRequestRate (ResponseCode 408, 424, 429 or >= 500; errorRate5xx is its old name), modelErrorRate, latencyP50, latencyP95, latencyP99, or a name declared under `customMetrics`.',
    }),
    max: z
      .number()
      .optional()
      .meta({ description: "Absolute upper bound on the candidate's value (rates are fractions 0..1, latency in ms)." }),
    min: z.number().optional().meta({ description: "Absolute lower bound on the candidate's value." }),
    maxRatioToBaseline: z
      .number()
      .positive()
      .optional()
      .meta({ description: 'Candidate <= this x baseline (e.g. 1.5), judged statistically at the gate confidence.' }),
    maxIncreaseOverBaseline: z
      .number()
      .min(0)
      .optional()
      .meta({ description: 'Candidate <= baseline + this (same unit as the metric), judged statistically.' }),
    critical: z.boolean().default(false).meta({ description: 'A failing critical check fails the gate at once.' }),
  })
  .meta({ description: 'One metric and its thresholds; at least one threshold is required.' });

const NO_DATA_OUTCOMES = ['extend', 'requestApproval', 'rollback'] as const;
/** Upper bounds of the waits a policy may renew (issue 10: no setting lets a rollout wait forever). */
const MAX_EXTENSION_MINUTES = 24 * 60;
const MAX_NO_DATA_EXTENSIONS = 20;
const MAX_REMINDERS = 100;

const noDataSchema = z
  .strictObject({
    outcome: z.enum(NO_DATA_OUTCOMES).default('rollback').meta({
      description:
        'What happens when the gate is still inconclusive after maxExtensionMinutes: keep extending, ask a person, or roll back.',
    }),
    maxExtensionMinutes: minutes
      .max(MAX_EXTENSION_MINUTES, `must be at most ${MAX_EXTENSION_MINUTES} (a day): no rollout waits for data longer`)
      .default(30)
      .meta({ description: `How long a step may be extended waiting for enough requests (at most ${MAX_EXTENSION_MINUTES}).` }),
    maxExtensions: z
      .number()
      .int()
      .min(1)
      .max(MAX_NO_DATA_EXTENSIONS, `must be at most ${MAX_NO_DATA_EXTENSIONS}: no rollout waits for data forever`)
      .optional()
      .meta({ description: 'With outcome extend: how many times the step starts over waiting for data, then it rolls back. Absent = 3.' }),
  })
  .meta({ description: 'Too few requests to judge: the step is extended, then this outcome applies.' });

const resourceLimitSchema = z
  .strictObject({
    maxPercent: z
      .number()
      .gt(0)
      .max(100)
      .optional()
      .meta({ description: "Absolute: the candidate's utilization now and projected at 100% traffic stays at or below this percent." }),
    maxRatioToBaseline: z
      .number()
      .positive()
      .optional()
      .meta({ description: "Candidate's use per request served <= this x the baseline's (docs/gates.md, normalization)." }),
  })
  .meta({ description: 'Limits on one resource of the candidate deployment.' });

export const resourceCheckSchema = z
  .strictObject({
    cpu: resourceLimitSchema
      .optional()
      .meta({ description: 'CpuUtilizationPercentage of the deployment (Azure Monitor platform metric).' }),
    memory: resourceLimitSchema
      .optional()
      .meta({ description: 'CpuMemoryUtilizationPercentage of the deployment (Azure Monitor platform metric).' }),
    gpu: resourceLimitSchema
      .optional()
      .meta({ description: 'GpuUtilizationPercentage of the deployment; judged where its instance type has GPUs.' }),
    gpuMemory: resourceLimitSchema
      .optional()
      .meta({ description: 'GpuMemoryUtilizationPercentage of the deployment; judged where its instance type has GPUs.' }),
    minReportedMinutes: z
      .number()
      .int()
      .min(1)
      .default(3)
      .meta({ description: 'Platform-metric minutes with requests needed on each side; fewer = inconclusive.' }),
  })
  .meta({
    description: 'Compares the resource use of candidate and baseline per request served, and sizes the candidate for 100% traffic.',
  });

const gateSchema = z
  .strictObject({
    description: z.string().optional(),
    checks: z.array(metricCheckSchema).min(1),
    resources: resourceCheckSchema.optional(),
    confidence: z
      .number()
      .min(0.5)
      .max(0.9999)
      .default(0.95)
      .meta({ description: 'Confidence of the statistical comparisons, kept over all the looks of the step (see docs/gates.md).' }),
    minRequestsPerDeployment: z
      .number()
      .int()
      .min(1)
      .default(100)
      .meta({ description: 'Fewer requests than this on either side makes a check inconclusive.' }),
    windowMinutes: positiveMinutes.default(10).meta({ description: 'Each check looks back this far.' }),
    checkIntervalMinutes: positiveMinutes.default(5).meta({ description: 'Time between two checks while baking.' }),
    ingestionDelayMinutes: minutes
      .optional()
      .meta({ description: "The window ends this long before now; absent = the policy's ingestionDelayMinutes." }),
    noData: noDataSchema.prefault({}),
    spending: z
      .enum(['pocock', 'obrienFleming'])
      .optional()
      .meta({ description: 'Alpha-spending function of the sequential method (docs/gates.md); absent = the analysis default (pocock).' }),
    maxQueryErrors: z
      .number()
      .int()
      .min(0)
      .default(3)
      .meta({ description: 'Failed or partial queries tolerated per step (never counted as a pass); one more rolls back.' }),
  })
  .meta({ description: 'A named set of metric checks.' });

const customMetricSchema = z
  .strictObject({
    description: z.string().optional(),
    kql: z.string().min(1).meta({
      description:
        'KQL returning columns DeploymentName and value; placeholders {endpoint}, {deployments}, {baseline}, {candidate}, {from}, {to} are filled (escaped) by the controller.',
    }),
    higherIsWorse: z.boolean().meta({ description: 'true for errors and latency, false for e.g. accuracy or conversion.' }),
  })
  .meta({ description: 'A metric computed by your own Log Analytics query.' });

const APPROVAL_TIMEOUT_OUTCOMES = ['rollback', 'promote', 'remind'] as const;

const approvalSchema = z
  .strictObject({
    description: z.string().optional(),
    approvers: z.array(principal).min(1).meta({ description: 'Who may approve or reject.' }),
    timeoutMinutes: z
      .number({
        error: (issue) =>
          issue.input === undefined ? 'required: every approval declares how long it waits (minutes)' : 'must be a number of minutes',
      })
      .positive()
      .meta({ description: 'How long to wait for a decision. Required.' }),
    onTimeout: z
      .enum(APPROVAL_TIMEOUT_OUTCOMES)
      .default('rollback')
      .meta({ description: 'After the timeout: roll back, promote, or keep waiting and remind.' }),
    reminderIntervalMinutes: positiveMinutes
      .default(60)
      .meta({ description: 'With onTimeout remind: time between reminders after the timeout.' }),
    maxReminders: z
      .number()
      .int()
      .min(1)
      .max(MAX_REMINDERS, `must be at most ${MAX_REMINDERS}: no rollout waits for a person forever`)
      .optional()
      .meta({ description: 'With onTimeout remind: reminders sent before the rollout rolls back. Absent = 5.' }),
  })
  .meta({ description: 'A named approval: who decides and what happens if nobody does.' });

/** Adaptive bakes (docs/gates.md "Adaptive bakes"): end a step early on evidence, extend it on thin traffic. */
export const adaptiveBakeSchema = z
  .strictObject({
    minBakeMinutes: minutes.meta({ description: 'The step never ends before this, however strong the evidence.' }),
    maxBakeMinutes: minutes.meta({
      description: 'With thin traffic (fewer than minRequests) the step extends up to this; at least bakeMinutes.',
    }),
    minRequests: z
      .number()
      .int()
      .min(1)
      .default(500)
      .meta({ description: 'Candidate requests since the step began needed before the evidence can end it.' }),
    confidence: z
      .number()
      .min(0.5)
      .max(0.9999)
      .default(0.95)
      .meta({ description: 'Confidence of "no worse than live within the margins", over all looks of the step.' }),
    margins: z
      .strictObject({
        failureRate: z
          .number()
          .gt(0)
          .lt(1)
          .optional()
          .meta({ description: 'Candidate failure rate <= live + this (a fraction: 0.005 = half a percentage point).' }),
        latencyP50Ratio: z.number().gt(1).optional().meta({ description: 'Candidate median latency <= this x live (e.g. 1.1).' }),
        latencyP95Ratio: z.number().gt(1).optional().meta({ description: 'Candidate p95 latency <= this x live.' }),
      })
      .refine((m) => m.failureRate !== undefined || m.latencyP50Ratio !== undefined || m.latencyP95Ratio !== undefined, {
        message: 'declare at least one of failureRate, latencyP50Ratio, latencyP95Ratio',
      })
      .meta({ description: 'How much worse than the live version the candidate may be, per metric.' }),
  })
  .refine((a) => a.minBakeMinutes <= a.maxBakeMinutes, {
    message: 'minBakeMinutes must be at most maxBakeMinutes',
    path: ['minBakeMinutes'],
  })
  .meta({
    description:
      'End the step as soon as the candidate is shown no worse than live within the margins (after minBakeMinutes and minRequests); extend it on thin traffic up to maxBakeMinutes.',
  });

const mirrorPhaseSchema = z
  .strictObject({
    percent: z
      .number()
      .int()
      .min(1)
      .max(MAX_MIRROR_PERCENT, MIRROR_LIMIT_MESSAGE)
      .meta({ description: 'Share of live traffic copied to the candidate (at most 50, Azure limit).' }),
    minutes: positiveMinutes.meta({ description: 'How long to mirror.' }),
    gates: gateRefs.optional().meta({ description: "Gates checked on the mirrored requests; absent = the strategy's gates." }),
    adaptive: adaptiveBakeSchema.optional(),
  })
  .refine(
    (phase) => !phase.adaptive || (phase.adaptive.minBakeMinutes <= phase.minutes && phase.adaptive.maxBakeMinutes >= phase.minutes),
    {
      message: 'adaptive: expected minBakeMinutes <= minutes <= maxBakeMinutes',
      path: ['adaptive'],
    },
  )
  .meta({ description: 'Copy live traffic to the candidate; users only ever see the baseline answers.' });

const canaryStepSchema = z
  .strictObject({
    percent: z.number().int().min(1).max(100).meta({ description: 'Live traffic share of the candidate in this step.' }),
    bakeMinutes: minutes.meta({ description: 'How long to hold this share while checking gates.' }),
    gates: gateRefs.optional().meta({ description: "Gates for this step; absent = the strategy's gates." }),
    approval: refName.optional().meta({ description: 'Name of an approval to obtain before moving to this step.' }),
    minRequests: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: "Keep baking until the candidate served this many requests; absent = the gates' minRequestsPerDeployment." }),
    adaptive: adaptiveBakeSchema.optional(),
  })
  .refine(
    (step) => !step.adaptive || (step.adaptive.minBakeMinutes <= step.bakeMinutes && step.adaptive.maxBakeMinutes >= step.bakeMinutes),
    {
      message: 'adaptive: expected minBakeMinutes <= bakeMinutes <= maxBakeMinutes',
      path: ['adaptive'],
    },
  );

const canarySchema = z
  .strictObject({
    steps: z.array(canaryStepSchema).min(1).meta({ description: 'Traffic steps, strictly ascending, the last one at 100.' }),
    mirror: mirrorPhaseSchema.optional(),
    gates: gateRefs.optional().meta({ description: 'Default gates of every step; absent = every declared gate.' }),
  })
  .meta({ description: 'Move live traffic to the candidate step by step.' });

const blueGreenSchema = z
  .strictObject({
    mirror: mirrorPhaseSchema.optional(),
    gates: gateRefs
      .optional()
      .meta({ description: 'Gates for the mirror phase and (absolute checks) the rollback window; absent = every declared gate.' }),
    approval: refName.optional().meta({ description: 'Approval to obtain before the switch.' }),
    rollbackWindowMinutes: minutes
      .optional()
      .meta({ description: 'Keep blue this long after the switch (watching gates), then delete it; absent = retentionMinutes.' }),
  })
  .meta({ description: 'Switch 100% at once after checks; keep the old deployment for a rollback window.' });

const shadowSchema = z
  .strictObject({
    percent: z
      .number()
      .int()
      .min(1)
      .max(MAX_MIRROR_PERCENT, MIRROR_LIMIT_MESSAGE)
      .meta({ description: 'Share of live traffic mirrored to the candidate (at most 50).' }),
    minutes: positiveMinutes.meta({ description: 'How long to mirror.' }),
    gates: gateRefs.optional().meta({ description: 'Gates on the mirrored requests; absent = every declared gate.' }),
    approval: refName.optional().meta({ description: 'Approval to obtain before switching.' }),
    rollbackWindowMinutes: minutes
      .optional()
      .meta({ description: 'Keep the old deployment this long after the switch; absent = retentionMinutes.' }),
  })
  .meta({ description: 'Mirror traffic to the candidate, judge it, then switch or discard.' });

const abTestSchema = z
  .strictObject({
    split: z
      .strictObject({ baseline: z.number().int().min(1).max(99), candidate: z.number().int().min(1).max(99) })
      .meta({ description: 'Fixed live split during the test; sums to 100.' }),
    durationMinutes: positiveMinutes.optional().meta({ description: 'Minimum test duration.' }),
    minRequestsPerArm: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: 'Sample size: requests each arm must serve before a winner is declared.' }),
    maxDurationMinutes: positiveMinutes.optional().meta({
      description: 'Give up waiting for the sample size after this long (then the no-data rules apply); absent = durationMinutes.',
    }),
    metrics: z
      .array(z.string().min(1))
      .min(1)
      .meta({ description: 'Metrics compared between the arms (built-in or custom; not requestCount).' }),
    confidence: z.number().min(0.5).max(0.9999).default(0.95),
    checkIntervalMinutes: positiveMinutes.default(10),
    guardrails: gateRefs
      .optional()
      .meta({ description: 'Gates checked during the test that stop it early (roll back); absent = every declared gate.' }),
    approval: refName.optional().meta({ description: 'Approval to obtain before keeping a winning candidate.' }),
  })
  .meta({ description: 'Fixed split, compare the arms, keep the winner (a tie keeps the baseline).' });

const recreateSchema = z
  .strictObject({
    approval: refName.optional().meta({ description: 'Approval to obtain before replacing the model.' }),
    healthCheck: z
      .strictObject({
        minutes: minutes.default(10).meta({ description: 'Watch the absolute checks of the gates this long after the replacement.' }),
        gates: gateRefs.optional(),
      })
      .prefault({}),
  })
  .meta({ description: 'Replace the model of the live deployment in place (downtime accepted); revert on failure.' });

const strategySchema = z
  .strictObject({
    canary: canarySchema.optional(),
    blueGreen: blueGreenSchema.optional(),
    shadow: shadowSchema.optional(),
    abTest: abTestSchema.optional(),
    recreate: recreateSchema.optional(),
  })
  .meta({ description: 'Exactly one of canary, blueGreen, shadow, abTest, recreate.' });

const notificationsSchema = z
  .strictObject({
    channels: z
      .array(z.enum(NOTIFICATION_CHANNELS))
      .default([])
      .meta({ description: 'Where to send (the channel URLs are app settings, not policy).' }),
    events: z
      .array(z.enum(NOTIFICATION_EVENTS))
      .default([...NOTIFICATION_EVENTS])
      .meta({ description: 'Which events to send; absent = all.' }),
  })
  .meta({ description: 'Who hears about the rollout.' });

export const costSchema = z
  .strictObject({
    maxCostIncreasePercent: z.number().min(0).meta({
      description: 'Largest accepted rise of the serving cost per 1,000 requests at 100% traffic, candidate vs baseline, in percent.',
    }),
    onExceeded: z
      .enum(COST_OUTCOMES)
      .default('requestApproval')
      .meta({ description: 'Above the limit: roll back, or ask for approval with the cost evidence.' }),
    prices: z
      .record(z.string().regex(/^[A-Za-z0-9_]+$/, 'must be an Azure instance type such as Standard_DS3_v2'), z.number().positive())
      .optional()
      .meta({
        description: "Price per instance-hour by instance type; absent = the public Azure Retail Prices API in the endpoint's region.",
      }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
      .default('USD'),
  })
  .meta({ description: 'The cost check: serving cost per 1,000 requests of candidate vs baseline (docs/gates.md).' });

/** At most this many dataset rows: every row is two scoring requests, and the rows travel in the plan. */
const MAX_AGREEMENT_ROWS = 500;

const AGREEMENT_OUTCOMES = ['rollback', 'requestApproval'] as const;

/** The dataset's rows, inline or read from its file (src/policy-store checks a file's rows with this same schema). */
export const agreementRowsSchema = z
  .array(z.json())
  .min(1, 'expected at least one row (a request body)')
  .max(MAX_AGREEMENT_ROWS, `at most ${MAX_AGREEMENT_ROWS} rows (each row is one request to each deployment)`);

const predictionAgreementSchema = z
  .strictObject({
    dataset: z
      .strictObject({
        rows: agreementRowsSchema.optional().meta({
          description: 'Request bodies, each sent once to the live and once to the candidate deployment (what the scoring script expects).',
        }),
        file: z
          .string()
          .regex(
            /^(?![\\/])(?![A-Za-z]:)(?!.*(?:^|[\\/])\.\.(?:[\\/]|$)).+\.jsonl$/,
            'must be a .jsonl file inside the policy folder (a relative path without "..")',
          )
          .optional()
          .meta({
            description:
              'A JSON Lines file of request bodies (one JSON value a line), relative to the policy file; read when the policy is loaded.',
          }),
      })
      .refine((d) => (d.rows === undefined) !== (d.file === undefined), {
        message: 'declare exactly one of rows (inline) or file (JSON Lines beside the policy)',
      })
      .meta({ description: 'The inputs both deployments are asked about.' }),
    predictionPath: z
      .string()
      .min(1)
      .default('$')
      .meta({ description: 'Where the prediction is in an answer: `$` (the whole answer), `$.label`, `$.predictions[0]`, `$["score"]`.' }),
    compare: z
      .enum(['label', 'numeric'])
      .default('label')
      .meta({ description: 'label: the predictions must be equal (classification); numeric: within the tolerance (regression).' }),
    tolerance: z
      .strictObject({
        absolute: z.number().min(0).default(0).meta({ description: 'Two numbers agree when they differ by at most this ...' }),
        relative: z.number().min(0).default(0).meta({ description: '... or by at most this share of the live prediction (0.05 = 5%).' }),
      })
      .optional()
      .meta({ description: 'compare: numeric only.' }),
    minAgreement: z
      .number()
      .min(0)
      .max(1)
      .meta({ description: 'Share of compared rows whose predictions must agree (0.95 = 95%). Required.' }),
    maxMeanAbsoluteDifference: z
      .number()
      .min(0)
      .optional()
      .meta({ description: 'compare: numeric only: upper bound on the mean |candidate - live| over the compared rows.' }),
    maxMeanRelativeDifference: z
      .number()
      .min(0)
      .optional()
      .meta({ description: 'compare: numeric only: upper bound on the mean |candidate - live| / |live|.' }),
    minComparedRows: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: 'Rows both deployments must answer for a verdict; absent = 90% of the rows (rounded up).' }),
    maxExamples: z.number().int().min(0).max(20).default(5).meta({ description: 'Disagreeing rows quoted in the evidence.' }),
    onDisagreement: z
      .enum(AGREEMENT_OUTCOMES)
      .default('rollback')
      .meta({ description: 'Below the thresholds: roll back, or ask for approval with the evidence.' }),
  })
  .refine(
    (a) =>
      a.compare === 'numeric' ||
      (a.tolerance === undefined && a.maxMeanAbsoluteDifference === undefined && a.maxMeanRelativeDifference === undefined),
    {
      message: 'tolerance, maxMeanAbsoluteDifference and maxMeanRelativeDifference apply to compare: numeric only',
      path: ['compare'],
    },
  )
  .refine((a) => a.minComparedRows === undefined || a.dataset.rows === undefined || a.minComparedRows <= a.dataset.rows.length, {
    message: 'minComparedRows is more than the dataset has rows, so the check could never decide',
    path: ['minComparedRows'],
  })
  .meta({
    description:
      'Before any live traffic, send the dataset to both the live and the candidate deployment (header azureml-model-deployment) and compare their predictions (docs/gates.md "Prediction agreement").',
  });

export const policySchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Editor hint (path or URL of schema/policy.schema.json); ignored.' }),
    apiVersion: z.literal(POLICY_API_VERSION).default(POLICY_API_VERSION),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit')
      .meta({ description: 'Unique policy name; a model tag `rollout-policy: <name>` selects it.' }),
    description: z.string().optional(),
    match: matchSchema,
    target: targetSchema,
    strategy: strategySchema,
    smokeTest: smokeTestSchema,
    gates: z.record(refName, gateSchema).default({}),
    customMetrics: z.record(refName, customMetricSchema).default({}),
    cost: costSchema.optional(),
    predictionAgreement: predictionAgreementSchema.optional(),
    approvals: z.record(refName, approvalSchema).default({}),
    operators: z
      .array(principal)
      .default([])
      .meta({ description: 'Who may abort, pause, resume, promote now or retry; empty = only the API administrators.' }),
    notifications: notificationsSchema.prefault({}),
    retentionMinutes: minutes
      .default(60)
      .meta({ description: 'How long the old deployment is kept after promotion (instant rollback), then deleted.' }),
    concurrency: z.enum(CONCURRENCY_MODES).default('supersede').meta({
      description: 'A newer version arriving mid-rollout: roll back and start it (supersede), or start it after this one ends (queue).',
    }),
    ingestionDelayMinutes: minutes
      .max(120)
      .default(5)
      .meta({ description: 'Default delay before requests show up in Log Analytics; gate windows end this long before now.' }),
  })
  .meta({ title: 'aml-rollout policy', description: 'A rollout policy for Azure ML managed online endpoints (docs/policy.md).' });

/** A policy as written (defaults optional). */
export type PolicyInput = z.input<typeof policySchema>;
/** A validated policy with defaults applied. */
export type Policy = z.output<typeof policySchema>;
export type GatePolicy = z.output<typeof gateSchema>;
export type ApprovalPolicy = z.output<typeof approvalSchema>;
export type CanaryPolicy = z.output<typeof canarySchema>;
export type BlueGreenPolicy = z.output<typeof blueGreenSchema>;
export type ShadowPolicy = z.output<typeof shadowSchema>;
export type AbTestPolicy = z.output<typeof abTestSchema>;
export type RecreatePolicy = z.output<typeof recreateSchema>;
export type AdaptiveBakePolicy = z.output<typeof adaptiveBakeSchema>;
export type PredictionAgreementPolicy = z.output<typeof predictionAgreementSchema>;
