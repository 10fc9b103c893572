/**
 * Custom log tables (`*_CL`): what an app writes to Log Analytics beside the platform's traffic
 * log, e.g. the decisions a credit model made. A scenario declares each table and how each model
 * version fills it; the emulator writes one row per request a version answered with 2xx (the app
 * logs what it returned) and serves the tables to KQL like any other, with the same per-row
 * ingestion latency. Format: docs/simulate.md "Custom log tables".
 */
import { z } from 'zod';
import type { Column, KqlType, Row, Value } from './kql/evaluator';
import { DateTimeValue } from './kql/evaluator';
import type { Random } from './prng';

/** Columns every custom table row has; a declaration cannot redefine them. */
const CUSTOM_TABLE_FIXED_COLUMNS: readonly Column[] = [
  { name: 'TimeGenerated', type: 'datetime' },
  { name: 'Endpoint', type: 'string' },
  { name: 'DeploymentName', type: 'string' },
  { name: 'ModelName', type: 'string' },
  { name: 'ModelVersion', type: 'string' },
  { name: 'Type', type: 'string' },
];
const FIXED_NAMES = new Set(CUSTOM_TABLE_FIXED_COLUMNS.map((c) => c.name));

/** How one column is filled, per request: true with a probability, a normal draw, or a constant. */
const customColumnSchema = z.union([
  z.object({ probability: z.number().min(0).max(1) }).strict(),
  z.object({ mean: z.number(), sd: z.number().min(0) }).strict(),
  z.object({ value: z.union([z.string(), z.number(), z.boolean()]) }).strict(),
]);
type CustomColumnSpec = z.infer<typeof customColumnSchema>;

function columnType(spec: CustomColumnSpec): KqlType {
  if ('probability' in spec) return 'bool';
  if ('mean' in spec) return 'real';
  return typeof spec.value === 'string' ? 'string' : typeof spec.value === 'boolean' ? 'bool' : 'real';
}

const columnNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'column names are letters, digits and _ (a letter or _ first)')
  .refine((name) => !FIXED_NAMES.has(name), { message: `every row has ${[...FIXED_NAMES].join(', ')} already` });

/** "model:version" -> column -> how it is filled. */
const tableSpecSchema = z
  .record(
    z.string().regex(/^[^:\s]+:[^:\s]+$/, 'keys are "model:version", e.g. "credit-model:2"'),
    z.record(columnNameSchema, customColumnSchema),
  )
  .superRefine((byModel, ctx) => {
    // One schema per table: every version fills the same columns with values of the same type.
    const entries = Object.entries(byModel);
    const [firstKey, firstColumns] = entries[0] ?? [];
    if (!firstColumns) {
      ctx.addIssue({ code: 'custom', message: 'declare how at least one model version fills the table' });
      return;
    }
    for (const [key, columns] of entries.slice(1)) {
      const names = Object.keys(columns).sort().join(', ');
      const expected = Object.keys(firstColumns).sort().join(', ');
      if (names !== expected)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `fills columns (${names}), but "${firstKey}" fills (${expected}): every version fills the same columns`,
        });
      for (const [name, spec] of Object.entries(columns)) {
        const other = firstColumns[name];
        if (other && columnType(other) !== columnType(spec)) {
          ctx.addIssue({
            code: 'custom',
            path: [key, name],
            message: `is a ${columnType(spec)} here but a ${columnType(other)} for "${firstKey}"`,
          });
        }
      }
    }
  });

export const customTablesSchema = z.record(
  z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,59}_CL$/, 'custom log table names end in _CL, as in Azure Monitor'),
  tableSpecSchema,
);
export type CustomTablesSpec = z.infer<typeof customTablesSchema>;

interface StoredRow {
  readonly timeMs: number;
  readonly visibleAtMs: number;
  readonly endpoint: string;
  readonly deployment: string;
  readonly modelKey: string;
  readonly values: readonly Value[];
}

class CustomTable {
  readonly columns: readonly Column[];
  private readonly names: readonly string[];
  readonly rows: StoredRow[] = [];

  constructor(
    readonly name: string,
    private readonly byModel: Readonly<Record<string, Record<string, CustomColumnSpec>>>,
  ) {
    const first = Object.values(byModel)[0] ?? {};
    this.names = Object.keys(first);
    this.columns = [
      ...CUSTOM_TABLE_FIXED_COLUMNS,
      ...this.names.map((name) => ({ name, type: columnType(first[name] as CustomColumnSpec) })),
    ];
  }

  /** Appends the row for one answered request, if this model version fills the table. */
  record(args: { timeMs: number; visibleAtMs: number; endpoint: string; deployment: string; modelKey: string }, random: Random): void {
    const specs = this.byModel[args.modelKey];
    if (!specs) return;
    const values = this.names.map((name): Value => {
      const spec = specs[name] as CustomColumnSpec;
      if ('probability' in spec) return random.next() < spec.probability;
      if ('mean' in spec) return spec.mean + spec.sd * random.normal();
      return spec.value;
    });
    this.rows.push({ ...args, values });
  }

  /** The rows visible at `nowMs` inside [fromMs, toMs), as the KQL engine reads them. */
  visibleRows(fromMs: number, toMs: number, nowMs: number): Row[] {
    const out: Row[] = [];
    for (const r of this.rows) {
      if (r.timeMs < fromMs || r.timeMs >= toMs || r.visibleAtMs > nowMs) continue;
      const separator = r.modelKey.lastIndexOf(':');
      const row: Row = {
        TimeGenerated: new DateTimeValue(r.timeMs),
        Endpoint: r.endpoint,
        DeploymentName: r.deployment,
        ModelName: r.modelKey.slice(0, separator),
        ModelVersion: r.modelKey.slice(separator + 1),
        Type: this.name,
      };
      this.names.forEach((name, i) => {
        row[name] = r.values[i] ?? null;
      });
      out.push(row);
    }
    return out;
  }
}

export class CustomTables {
  private readonly tables = new Map<string, CustomTable>();

  constructor(
    spec: CustomTablesSpec,
    private readonly random: Random,
  ) {
    const parsed = customTablesSchema.safeParse(spec);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new Error(`customTables: ${problems}`);
    }
    for (const [name, byModel] of Object.entries(parsed.data)) this.tables.set(name, new CustomTable(name, byModel));
  }

  get(name: string): CustomTable | undefined {
    return this.tables.get(name);
  }

  /** One answered (2xx) request: each table its model version fills gets a row. */
  record(args: { timeMs: number; visibleAtMs: number; endpoint: string; deployment: string; modelKey: string }): void {
    for (const table of this.tables.values()) table.record(args, this.random);
  }
}
