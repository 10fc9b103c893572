/**
 * The simulation scenario: the public contract of ../shared/scenario-format.md, as a zod schema.
 * A file that does not fit gets an error naming the file and the field (the CLI exits 2).
 */
import { z } from 'zod';
import { ValidationError } from '../errors';

const minute = z.number().min(0);
const probability = z.number().min(0).max(1);

const latencySchema = z
  .object({ p50: z.number().positive(), p95: z.number().positive() })
  .strict()
  .refine((l) => l.p95 >= l.p50, { message: 'p95 must be at least p50', path: ['p95'] });

const behaviorChangeSchema = z
  .object({
    atMinute: minute,
    errorRate: probability.optional(),
    latencyMs: latencySchema.optional(),
    smokeTestFails: z.boolean().optional(),
  })
  .strict();

export const modelBehaviorSchema = z
  .object({
    errorRate: probability.default(0),
    latencyMs: latencySchema.default({ p50: 40, p95: 90 }),
    changes: z.array(behaviorChangeSchema).default([]),
    provisioningFails: z.boolean().default(false),
    smokeTestFails: z.boolean().default(false),
  })
  .strict();

const trafficScheduleSchema = z
  .array(z.object({ fromMinute: minute, requestsPerMinute: z.number().min(0) }).strict())
  .min(1)
  .refine((s) => s.every((entry, i) => i === 0 || entry.fromMinute > (s[i - 1]?.fromMinute ?? -1)), {
    message: 'fromMinute must increase from one entry to the next',
  });

const faultSchema = z
  .object({
    target: z.enum(['arm', 'logs', 'metrics']),
    operation: z.string().min(1).optional(),
    status: z.union([z.literal(409), z.literal(429), z.literal(500), z.literal(503), z.literal('timeout')]),
    count: z.number().int().positive().optional(),
    probability: probability.optional(),
    fromMinute: minute.optional(),
    toMinute: minute.optional(),
  })
  .strict()
  .refine((f) => (f.count === undefined) !== (f.probability === undefined), {
    message: 'give exactly one of count or probability',
  })
  .refine((f) => f.fromMinute === undefined || f.toMinute === undefined || f.toMinute > f.fromMinute, {
    message: 'toMinute must be after fromMinute',
    path: ['toMinute'],
  });

/** "model:version", e.g. "credit-model:2". */
const modelVersionKey = z.string().regex(/^[^:\s]+:[^:\s]+$/, 'keys are "model:version", e.g. "credit-model:2"');

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    seed: z.number().int().default(1),
    endpoint: z.string().min(1),
    /** A path (relative to the scenario file, then to the working directory) or an inline policy. */
    policy: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    live: z.object({ deployment: z.string().min(1), model: z.string().min(1), version: z.coerce.string().min(1) }).strict(),
    register: z
      .object({
        model: z.string().min(1),
        version: z.coerce.string().min(1),
        tags: z.record(z.string(), z.string()).default({}),
        atMinute: minute.default(0),
      })
      .strict(),
    traffic: z
      .object({ requestsPerMinute: z.union([z.number().min(0), trafficScheduleSchema]) })
      .strict(),
    behavior: z.record(modelVersionKey, modelBehaviorSchema),
    approvals: z
      .array(
        z
          .object({
            atMinute: minute,
            decision: z.enum(['approve', 'reject']),
            by: z.string().min(1),
            comment: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
    faults: z.array(faultSchema).default([]),
    ingestionDelayMinutes: z.number().min(0).default(3),
    maxMinutes: z.number().positive().default(720),
  })
  .strict()
  .superRefine((s, ctx) => {
    for (const key of [`${s.live.model}:${s.live.version}`, `${s.register.model}:${s.register.version}`]) {
      if (!(key in s.behavior)) {
        ctx.addIssue({ code: 'custom', path: ['behavior'], message: `no behavior declared for "${key}"` });
      }
    }
    if (s.register.atMinute >= s.maxMinutes) {
      ctx.addIssue({ code: 'custom', path: ['register', 'atMinute'], message: 'must be before maxMinutes' });
    }
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ModelBehavior = z.infer<typeof modelBehaviorSchema>;

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)), '');
}

/** Parses scenario JSON text; throws a ValidationError naming the file and every bad field. */
export function parseScenario(text: string, fileName: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(fileName, `not valid JSON (${(error as Error).message})`);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path) || '(root)'}: ${issue.message}`);
    throw new ValidationError(fileName, problems.join('; '));
  }
  return parsed.data;
}
