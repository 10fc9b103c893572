/**
 * The emulator's inputs: how model versions behave, the traffic rate, faults. The shapes follow
 * docs/scenario-format.md so the simulator can pass a scenario's fields straight through.
 */
import { z } from 'zod';

const minuteSchema = z.number().min(0);
const probabilitySchema = z.number().min(0).max(1);

/*
 * Behavior, traffic and fault shapes are the public scenario format's (docs/scenario-format.md):
 * src/harness/sim/scenario.ts parses scenario files with these same schemas, so the emulator and the
 * scenario contract cannot drift apart. Strict: an unknown (e.g. misspelt) field is an error, not
 * silently ignored.
 */
const latencySchema = z
  .object({ p50: z.number().positive(), p95: z.number().positive() })
  .strict()
  .refine((l) => l.p95 >= l.p50, { message: 'p95 must be at least p50', path: ['p95'] });

const behaviorChangeSchema = z
  .object({
    atMinute: minuteSchema,
    errorRate: probabilitySchema.optional(),
    latencyMs: latencySchema.optional(),
    smokeTestFails: z.boolean().optional(),
  })
  .strict();

/**
 * What one instance of a deployment running this model version uses: a fixed base (the inference
 * server and the loaded model) plus a share per request it serves a minute. The emulator turns it
 * into the deployment's CpuUtilizationPercentage and CpuMemoryUtilizationPercentage metrics
 * (src/harness/emulator/resource-metrics.ts). An emulator extension of the scenario format's behaviour.
 */
export const resourceProfileSchema = z
  .object({
    cpuBasePercent: z.number().min(0).max(100).default(5),
    /** CPU percent of one instance per request a minute it serves (0.1: 100 requests/min = 10%). */
    cpuPercentPerRequest: z.number().min(0).default(0.1),
    memoryBasePercent: z.number().min(0).max(100).default(30),
    memoryPercentPerRequest: z.number().min(0).default(0.05),
    /** GPU instance types only (the N-series): GPU and GPU-memory use, the same model. */
    gpuBasePercent: z.number().min(0).max(100).default(5),
    gpuPercentPerRequest: z.number().min(0).default(0.1),
    gpuMemoryBasePercent: z.number().min(0).max(100).default(40),
    gpuMemoryPercentPerRequest: z.number().min(0).default(0.02),
  })
  .strict();
export type ResourceProfile = z.output<typeof resourceProfileSchema>;

/**
 * How a model version's answers differ from the reference model every version shares
 * (src/harness/emulator/predictions.ts). An emulator extension of the scenario format's behaviour.
 */
const predictionSettingsSchema = z
  .object({
    /** Share of inputs (0..1) on which this version answers the other label than the reference. */
    flipRate: probabilitySchema.default(0),
    /** Added to every score this version answers. */
    scoreOffset: z.number().min(-1).max(1).default(0),
  })
  .strict();
export type PredictionSettings = z.output<typeof predictionSettingsSchema>;

export const behaviorSchema = z
  .object({
    resources: resourceProfileSchema.optional(),
    predictions: predictionSettingsSchema.prefault({}),
    errorRate: probabilitySchema.default(0),
    latencyMs: latencySchema.default({ p50: 40, p95: 90 }),
    changes: z.array(behaviorChangeSchema).default([]),
    provisioningFails: z.boolean().default(false),
    smokeTestFails: z.boolean().default(false),
  })
  .strict();
export type ModelBehaviorInput = z.input<typeof behaviorSchema>;
export type ModelBehavior = z.output<typeof behaviorSchema>;

/** A rate, or a list of rates each from a minute on (the emulator sorts the list by minute). */
export const trafficScheduleSchema = z
  .object({
    requestsPerMinute: z.union([
      z.number().min(0),
      z.array(z.object({ fromMinute: minuteSchema, requestsPerMinute: z.number().min(0) }).strict()).min(1),
    ]),
  })
  .strict();
export type TrafficSchedule = z.infer<typeof trafficScheduleSchema>;

/** A fault's time window must not be empty. */
export const faultWindowIsOrdered = (f: { fromMinute?: number | undefined; toMinute?: number | undefined }): boolean =>
  f.fromMinute === undefined || f.toMinute === undefined || f.toMinute > f.fromMinute;
export const FAULT_WINDOW_ISSUE = { message: 'toMinute must be after fromMinute', path: ['toMinute'] };

/**
 * A fault as the scenario format has it, without refinements so that each side can extend it
 * (the emulator: 'partial', retryAfterSeconds) and add its own rules.
 */
export const scenarioFaultObjectSchema = z
  .object({
    target: z.enum(['arm', 'logs', 'metrics']),
    operation: z.string().min(1).optional(),
    status: z.union([z.literal(409), z.literal(429), z.literal(500), z.literal(503), z.literal('timeout')]),
    count: z.number().int().positive().optional(),
    probability: probabilitySchema.optional(),
    fromMinute: minuteSchema.optional(),
    toMinute: minuteSchema.optional(),
  })
  .strict();

/** Operation names used by fault injection (`fault.operation`) and in docs/emulator.md. */
export const OPERATIONS = {
  arm: [
    'getEndpoint',
    'listEndpoints',
    'putEndpoint',
    'patchEndpoint',
    'deleteEndpoint',
    'listKeys',
    'getDeployment',
    'getDeploymentLogs',
    'listDeployments',
    'createDeployment',
    'updateDeployment',
    'deleteDeployment',
    'getModelVersion',
    'listModelVersions',
    'putModelVersion',
    'getModel',
    'listModels',
    'getWorkspace',
    'getOperationStatus',
  ],
  logs: ['query'],
  metrics: ['metrics'],
} as const;

export const faultSchema = scenarioFaultObjectSchema
  .extend({
    /** 'partial' (logs only, an emulator extension): 200 with half the rows and an error, which LogsQueryClient reports as PartialFailure. */
    status: z.union([scenarioFaultObjectSchema.shape.status, z.literal('partial')]),
    /** Seconds sent in Retry-After with a 429 (default 10). */
    retryAfterSeconds: z.number().int().min(0).optional(),
  })
  // Neither count nor probability (every matching call) is an emulator extension; the scenario
  // format asks for exactly one.
  .refine((f) => !(f.count !== undefined && f.probability !== undefined), { message: 'a fault has either count or probability, not both' })
  .refine((f) => f.operation === undefined || (OPERATIONS[f.target] as readonly string[]).includes(f.operation), {
    message: `unknown operation; known: arm: ${OPERATIONS.arm.join(', ')}; logs: ${OPERATIONS.logs.join(', ')}; metrics: ${OPERATIONS.metrics.join(', ')}`,
    path: ['operation'],
  })
  .refine((f) => f.status !== 'partial' || f.target === 'logs', {
    message: "status 'partial' applies to target 'logs' only",
    path: ['status'],
  })
  .refine(faultWindowIsOrdered, FAULT_WINDOW_ISSUE);
export type Fault = z.infer<typeof faultSchema>;

/** Virtual durations of Azure's asynchronous operations. Ranges draw from the seeded stream. */
export interface ProvisioningDurations {
  readonly endpointCreateMs: number;
  readonly endpointUpdateMs: number;
  readonly endpointDeleteMs: number;
  readonly deploymentCreateMs: readonly [number, number];
  readonly deploymentUpdateMs: number;
  readonly deploymentDeleteMs: number;
}

export const DEFAULT_DURATIONS: ProvisioningDurations = {
  endpointCreateMs: 2 * 60_000,
  endpointUpdateMs: 60_000,
  endpointDeleteMs: 2 * 60_000,
  deploymentCreateMs: [6 * 60_000, 10 * 60_000],
  deploymentUpdateMs: 3 * 60_000,
  deploymentDeleteMs: 2 * 60_000,
};
