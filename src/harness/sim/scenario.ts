/**
 * The simulation scenario: the public contract of docs/scenario-format.md, as a zod schema.
 * A file that does not fit gets an error naming the file and the field (the CLI exits 2).
 */
import { z } from 'zod';
import { customTablesSchema } from '../emulator/custom-tables';
import {
  behaviorSchema,
  FAULT_WINDOW_ISSUE,
  faultWindowIsOrdered,
  scenarioFaultObjectSchema,
  trafficScheduleSchema,
} from '../emulator/types';
import { ValidationError } from '../../errors';
import { controlActionSchema } from '../../orchestration/events';

const minute = z.number().min(0);

/** The scenario's traffic: the emulator's schedule, whose list must also be in minute order. */
const scenarioTrafficSchema = trafficScheduleSchema.refine(
  (t) =>
    typeof t.requestsPerMinute === 'number' ||
    t.requestsPerMinute.every((entry, i, s) => i === 0 || entry.fromMinute > (s[i - 1]?.fromMinute ?? -1)),
  { message: 'fromMinute must increase from one entry to the next', path: ['requestsPerMinute'] },
);

/** The scenario's fault: the format's fields only, with exactly one of count or probability. */
const faultSchema = scenarioFaultObjectSchema
  .refine((f) => (f.count === undefined) !== (f.probability === undefined), {
    message: 'give exactly one of count or probability',
  })
  .refine(faultWindowIsOrdered, FAULT_WINDOW_ISSUE);

/** "model:version", e.g. "credit-model:2". */
const modelVersionKey = z.string().regex(/^[^:\s]+:[^:\s]+$/, 'keys are "model:version", e.g. "credit-model:2"');

const scenarioSchema = z
  .object({
    name: z.string().min(1),
    seed: z.number().int().default(1),
    endpoint: z.string().min(1),
    /** A path (relative to the scenario file, then to the working directory) or an inline policy. */
    policy: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    live: z
      .object({
        deployment: z.string().min(1),
        model: z.string().min(1),
        version: z.coerce.string().min(1),
        /** Instances of the live deployment (default 1); the candidate is cloned with the same count. */
        capacity: z.number().int().min(1).max(100).optional(),
        /** Its instance type (default Standard_DS3_v2): what the cost check prices. */
        instanceType: z
          .string()
          .regex(/^[A-Za-z0-9_]+$/, 'must be an Azure instance type such as Standard_DS3_v2')
          .optional(),
      })
      .strict(),
    register: z
      .object({
        model: z.string().min(1),
        version: z.coerce.string().min(1),
        tags: z.record(z.string(), z.string()).default({}),
        atMinute: minute.default(0),
      })
      .strict(),
    traffic: scenarioTrafficSchema,
    behavior: z.record(modelVersionKey, behaviorSchema),
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
    /** Operator controls posted through the public API, like the approvals. */
    controls: z
      .array(
        z
          .object({
            atMinute: minute,
            action: controlActionSchema,
            by: z.string().min(1),
            comment: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
    faults: z.array(faultSchema).default([]),
    /** An extension of the format: the app's own log tables and how each version fills them (docs/simulate.md). */
    customTables: customTablesSchema.optional(),
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

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    '',
  );
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
