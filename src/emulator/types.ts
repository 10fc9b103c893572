/**
 * The emulator's inputs: how model versions behave, the traffic rate, faults. The shapes follow
 * /work/shared/scenario-format.md so the simulator can pass a scenario's fields straight through.
 */
import { z } from 'zod';

export const latencySchema = z.object({
  p50: z.number().positive(),
  p95: z.number().positive(),
}).refine((l) => l.p95 >= l.p50, { message: 'latencyMs.p95 must be >= latencyMs.p50' });

export const behaviorChangeSchema = z.object({
  atMinute: z.number().min(0),
  errorRate: z.number().min(0).max(1).optional(),
  latencyMs: latencySchema.optional(),
  smokeTestFails: z.boolean().optional(),
});

export const behaviorSchema = z.object({
  errorRate: z.number().min(0).max(1).default(0),
  latencyMs: latencySchema.default({ p50: 40, p95: 90 }),
  changes: z.array(behaviorChangeSchema).default([]),
  provisioningFails: z.boolean().default(false),
  smokeTestFails: z.boolean().default(false),
});
export type ModelBehaviorInput = z.input<typeof behaviorSchema>;
export type ModelBehavior = z.output<typeof behaviorSchema>;

export const trafficScheduleSchema = z.union([
  z.object({ requestsPerMinute: z.number().min(0) }),
  z.object({
    requestsPerMinute: z.array(z.object({ fromMinute: z.number().min(0), requestsPerMinute: z.number().min(0) })).min(1),
  }),
]);
export type TrafficSchedule = z.infer<typeof trafficScheduleSchema>;

/** Operation names used by fault injection (`fault.operation`) and in docs/emulator.md. */
export const OPERATIONS = {
  arm: [
    'getEndpoint', 'listEndpoints', 'putEndpoint', 'patchEndpoint', 'deleteEndpoint', 'listKeys',
    'getDeployment', 'getDeploymentLogs', 'listDeployments', 'createDeployment', 'updateDeployment', 'deleteDeployment',
    'getModelVersion', 'listModelVersions', 'putModelVersion', 'getModel', 'listModels', 'getWorkspace', 'getOperationStatus',
  ],
  logs: ['query'],
  metrics: ['metrics'],
} as const;

export const faultSchema = z.object({
  target: z.enum(['arm', 'logs', 'metrics']),
  operation: z.string().min(1).optional(),
  /** 'partial' (logs only, an emulator extension): 200 with half the rows and an error, which LogsQueryClient reports as PartialFailure. */
  status: z.union([z.literal(409), z.literal(429), z.literal(500), z.literal(503), z.literal('timeout'), z.literal('partial')]),
  count: z.number().int().positive().optional(),
  probability: z.number().min(0).max(1).optional(),
  fromMinute: z.number().min(0).optional(),
  toMinute: z.number().min(0).optional(),
  /** Seconds sent in Retry-After with a 429 (default 10). */
  retryAfterSeconds: z.number().int().min(0).optional(),
})
  .refine((f) => !(f.count !== undefined && f.probability !== undefined), { message: 'a fault has either count or probability, not both' })
  .refine((f) => f.operation === undefined || (OPERATIONS[f.target] as readonly string[]).includes(f.operation), {
    message: `unknown operation; known: arm: ${OPERATIONS.arm.join(', ')}; logs: ${OPERATIONS.logs.join(', ')}; metrics: ${OPERATIONS.metrics.join(', ')}`,
    path: ['operation'],
  })
  .refine((f) => f.status !== 'partial' || f.target === 'logs', { message: "status 'partial' applies to target 'logs' only", path: ['status'] })
  .refine((f) => f.fromMinute === undefined || f.toMinute === undefined || f.toMinute > f.fromMinute, { message: 'toMinute must be after fromMinute', path: ['toMinute'] });
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

