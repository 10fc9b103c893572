/**
 * Evaluator of the emulator's KQL subset over row objects, with Kusto's semantics where they
 * matter for gate numbers:
 * - integer division stays integer (5 / 2 == 2) unless an operand is real;
 * - `percentile(x, p)` uses the NEAREST-RANK definition: sort ascending, take the value at rank
 *   ceil(p/100 * n) (1-based; rank 1 for p = 0). Azure computes an estimate (t-digest); the
 *   emulator is exact so tests can compare with a direct computation over the rows;
 * - `dcount` is exact (Azure estimates with HyperLogLog);
 * - sort is descending by default, nulls last when descending and first when ascending;
 * - `summarize` without `by` returns one row even over no rows (count() = 0, avg() = null).
 */
import { KqlError } from './errors';
import type { Expr, NamedExpr, Operator, Query } from './parser';

export type KqlType = 'string' | 'int' | 'long' | 'real' | 'bool' | 'datetime' | 'timespan' | 'dynamic';

/** Runtime values: datetimes and timespans are boxed so arithmetic and output know them. */
export class DateTimeValue {
  constructor(readonly ms: number) {}
}
class TimeSpanValue {
  constructor(readonly ms: number) {}
}
export type Value = string | number | boolean | null | DateTimeValue | TimeSpanValue | Value[];

export interface Column {
  readonly name: string;
  readonly type: KqlType;
}

export type Row = Record<string, Value>;

export interface Table {
  readonly columns: readonly Column[];
  readonly rows: Row[];
}

export interface EvaluationContext {
  readonly nowMs: number;
}

const NUMERIC: ReadonlySet<KqlType> = new Set(['int', 'long', 'real']);
const isIntegerType = (t: KqlType): boolean => t === 'int' || t === 'long';

// ------------------------------------------------------------------------------- static types

type Schema = ReadonlyMap<string, KqlType>;

const AGGREGATIONS = new Set([
  'count',
  'countif',
  'sum',
  'sumif',
  'avg',
  'avgif',
  'min',
  'max',
  'percentile',
  'percentiles',
  'dcount',
  'make_list',
  'minif',
  'maxif',
  'dcountif',
]);

function typeOf(e: Expr, schema: Schema): KqlType {
  switch (e.k) {
    case 'lit':
      return e.type === 'null' ? 'dynamic' : e.type;
    case 'col': {
      const t = schema.get(e.name);
      if (t === undefined) throw KqlError.semantic(`Failed to resolve scalar expression named '${e.name}'`);
      return t;
    }
    case 'neg':
      return typeOf(e.e, schema);
    case 'in':
    case 'between':
      typeOf(e.e, schema);
      return 'bool';
    case 'bin': {
      const l = typeOf(e.l, schema);
      const r = typeOf(e.r, schema);
      if (['+', '-', '*', '/', '%'].includes(e.op)) {
        if (l === 'datetime' && r === 'datetime' && e.op === '-') return 'timespan';
        if (l === 'datetime' || r === 'datetime') return 'datetime';
        if (l === 'timespan' && r === 'timespan') return e.op === '/' ? 'real' : 'timespan';
        if (l === 'timespan' || r === 'timespan') return 'timespan';
        if (l === 'real' || r === 'real') return 'real';
        if (NUMERIC.has(l) && NUMERIC.has(r)) return 'long';
        return 'real';
      }
      return 'bool';
    }
    case 'call':
      return callType(e.name, e.args, schema);
  }
}

function callType(name: string, args: readonly Expr[], schema: Schema): KqlType {
  const argType = (i: number): KqlType => {
    const a = args[i];
    if (!a) throw KqlError.semantic(`function '${name}' expects more arguments (got ${args.length})`);
    return typeOf(a, schema);
  };
  switch (name) {
    case 'count':
    case 'countif':
    case 'dcount':
    case 'dcountif':
      args.forEach((_, i) => argType(i));
      return 'long';
    case 'sum':
    case 'sumif': {
      const t = argType(0);
      if (name === 'sumif') argType(1);
      return isIntegerType(t) ? 'long' : t === 'timespan' ? 'timespan' : 'real';
    }
    case 'avg':
    case 'avgif':
      argType(0);
      if (name === 'avgif') argType(1);
      return 'real';
    case 'min':
    case 'max':
    case 'minif':
    case 'maxif':
      if (name.endsWith('if')) argType(1);
      return argType(0);
    case 'percentile':
    case 'percentiles': {
      const t = argType(0);
      return isIntegerType(t) ? 'long' : t;
    }
    case 'make_list':
      argType(0);
      return 'dynamic';
    case 'iff':
    case 'iif': {
      argType(0);
      const a = argType(1);
      const b = argType(2);
      if (a === b) return a;
      if (NUMERIC.has(a) && NUMERIC.has(b)) return a === 'real' || b === 'real' ? 'real' : 'long';
      return a;
    }
    case 'todouble':
    case 'toreal':
      argType(0);
      return 'real';
    case 'toint':
      argType(0);
      return 'int';
    case 'tolong':
      argType(0);
      return 'long';
    case 'tostring':
    case 'strcat':
      args.forEach((_, i) => argType(i));
      return 'string';
    case 'isnotempty':
    case 'isempty':
    case 'isnull':
    case 'isnotnull':
    case 'not':
      argType(0);
      return 'bool';
    case 'bin':
    case 'floor':
      argType(1);
      return argType(0);
    case 'round': {
      const t = argType(0);
      if (args.length > 1) argType(1);
      return t;
    }
    case 'abs':
      return argType(0);
    case 'ago':
      argType(0);
      return 'datetime';
    case 'now':
      return 'datetime';
    case 'strlen':
      argType(0);
      return 'long';
    case 'tolower':
    case 'toupper':
      argType(0);
      return 'string';
    default:
      throw KqlError.unsupported('function', name);
  }
}

// ------------------------------------------------------------------------------- scalar evaluation

function num(v: Value): number | null {
  if (v === null) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof DateTimeValue || v instanceof TimeSpanValue) return v.ms;
  if (typeof v === 'string') {
    const n = Number(v);
    return v.trim() === '' || Number.isNaN(n) ? null : n;
  }
  return null;
}

function str(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (v instanceof DateTimeValue) return new Date(v.ms).toISOString();
  if (v instanceof TimeSpanValue) return formatTimeSpan(v.ms);
  if (Array.isArray(v)) return JSON.stringify(v.map(toJson));
  return String(v);
}

/** Comparable key: numbers for numbers, datetimes and timespans; strings otherwise. */
function cmpKey(v: Value): number | string | null {
  if (v === null) return null;
  if (typeof v === 'number' || typeof v === 'boolean' || v instanceof DateTimeValue || v instanceof TimeSpanValue) return num(v);
  return str(v);
}

function compare(a: Value, b: Value): number | null {
  const x = cmpKey(a);
  const y = cmpKey(b);
  if (x === null || y === null) return null;
  if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : 0;
  const sx = String(x);
  const sy = String(y);
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

function equals(a: Value, b: Value, ci: boolean): boolean | null {
  if (a === null || b === null) return null;
  if (typeof a === 'string' || typeof b === 'string') {
    return ci ? str(a).toLowerCase() === str(b).toLowerCase() : str(a) === str(b);
  }
  return compare(a, b) === 0;
}

/** `has`: whole-term match, case-insensitive (terms are runs of letters and digits). */
function hasTerm(haystack: string, needle: string): boolean {
  const h = haystack.toLowerCase();
  const n = needle.toLowerCase();
  if (n === '') return true;
  let from = 0;
  for (;;) {
    const at = h.indexOf(n, from);
    if (at < 0) return false;
    const before = h[at - 1];
    const after = h[at + n.length];
    const boundary = (c: string | undefined): boolean => c === undefined || !/[a-z0-9]/.test(c);
    if (boundary(before) && boundary(after)) return true;
    from = at + 1;
  }
}

const truthy = (v: Value): boolean => v === true;

class ScalarEvaluator {
  constructor(
    private readonly schema: Schema,
    readonly context: EvaluationContext,
  ) {}

  /** Static types of arithmetic nodes, computed once per query instead of once per row. */
  private readonly types = new WeakMap<Expr, KqlType>();

  eval(e: Expr, row: Row): Value {
    switch (e.k) {
      case 'lit':
        if (e.type === 'datetime') return new DateTimeValue(e.v as number);
        if (e.type === 'timespan') return new TimeSpanValue(e.v as number);
        return e.v;
      case 'col':
        return row[e.name] ?? null;
      case 'neg': {
        const v = this.eval(e.e, row);
        if (v instanceof TimeSpanValue) return new TimeSpanValue(-v.ms);
        const n = num(v);
        return n === null ? null : -n;
      }
      case 'in': {
        const v = this.eval(e.e, row);
        const found = e.list.some((item) => equals(v, this.eval(item, row), e.ci) === true);
        if (v === null) return e.negate;
        return e.negate ? !found : found;
      }
      case 'between': {
        const v = this.eval(e.e, row);
        const lo = compare(v, this.eval(e.lo, row));
        const hi = compare(v, this.eval(e.hi, row));
        if (lo === null || hi === null) return false;
        const inside = lo >= 0 && hi <= 0;
        return e.negate ? !inside : inside;
      }
      case 'bin':
        return this.binary(e, row);
      case 'call':
        return this.call(e.name, e.args, row);
    }
  }

  private binary(e: Extract<Expr, { k: 'bin' }>, row: Row): Value {
    if (e.op === 'and') return truthy(this.eval(e.l, row)) && truthy(this.eval(e.r, row));
    if (e.op === 'or') return truthy(this.eval(e.l, row)) || truthy(this.eval(e.r, row));
    const l = this.eval(e.l, row);
    const r = this.eval(e.r, row);
    switch (e.op) {
      case '==':
        return equals(l, r, false) ?? false;
      case '!=':
        return l === null || r === null ? false : !equals(l, r, false);
      case '=~':
        return equals(l, r, true) ?? false;
      case '!~':
        return l === null || r === null ? false : !equals(l, r, true);
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const c = compare(l, r);
        if (c === null) return false;
        return e.op === '<' ? c < 0 : e.op === '<=' ? c <= 0 : e.op === '>' ? c > 0 : c >= 0;
      }
      case 'has':
      case 'has_cs':
        return hasTerm(str(l), str(r));
      case '!has':
        return !hasTerm(str(l), str(r));
      case 'contains':
        return str(l).toLowerCase().includes(str(r).toLowerCase());
      case 'contains_cs':
        return str(l).includes(str(r));
      case '!contains':
        return !str(l).toLowerCase().includes(str(r).toLowerCase());
      case 'startswith':
        return str(l).toLowerCase().startsWith(str(r).toLowerCase());
      case 'startswith_cs':
        return str(l).startsWith(str(r));
      case '!startswith':
        return !str(l).toLowerCase().startsWith(str(r).toLowerCase());
      case 'endswith':
        return str(l).toLowerCase().endsWith(str(r).toLowerCase());
      case '!endswith':
        return !str(l).toLowerCase().endsWith(str(r).toLowerCase());
      default:
        return this.arithmetic(e, l, r);
    }
  }

  private arithmetic(e: Extract<Expr, { k: 'bin' }>, l: Value, r: Value): Value {
    if (l === null || r === null) return null;
    let resultType = this.types.get(e);
    if (resultType === undefined) {
      resultType = typeOf(e, this.schema);
      this.types.set(e, resultType);
    }
    const a = num(l);
    const b = num(r);
    if (a === null || b === null) return null;
    let out: number;
    switch (e.op) {
      case '+':
        out = a + b;
        break;
      case '-':
        out = a - b;
        break;
      case '*':
        out = a * b;
        break;
      case '/':
        if (resultType === 'long' || resultType === 'int') {
          if (b === 0) return null;
          out = Math.trunc(a / b);
        } else {
          out = a / b;
        }
        break;
      case '%':
        if (b === 0) return null;
        out = a % b;
        break;
      default:
        throw KqlError.unsupported('operator', e.op);
    }
    if (resultType === 'datetime') return new DateTimeValue(out);
    if (resultType === 'timespan') return new TimeSpanValue(out);
    return out;
  }

  private call(name: string, args: readonly Expr[], row: Row): Value {
    const arg = (i: number): Value => {
      const a = args[i];
      if (!a) throw KqlError.semantic(`function '${name}' expects more arguments (got ${args.length})`);
      return this.eval(a, row);
    };
    switch (name) {
      case 'iff':
      case 'iif':
        return truthy(arg(0)) ? arg(1) : arg(2);
      case 'todouble':
      case 'toreal': {
        return num(arg(0));
      }
      case 'toint':
      case 'tolong': {
        const n = num(arg(0));
        return n === null ? null : Math.trunc(n);
      }
      case 'tostring':
        return str(arg(0));
      case 'strcat':
        return args.map((_, i) => str(arg(i))).join('');
      case 'isnotempty': {
        const v = arg(0);
        return v !== null && v !== '';
      }
      case 'isempty': {
        const v = arg(0);
        return v === null || v === '';
      }
      case 'isnull':
        return arg(0) === null;
      case 'isnotnull':
        return arg(0) !== null;
      case 'not':
        return !truthy(arg(0));
      case 'bin':
      case 'floor': {
        const v = arg(0);
        const size = num(arg(1));
        const n = num(v);
        if (n === null || size === null || size <= 0) return null;
        const floored = Math.floor(n / size) * size;
        if (v instanceof DateTimeValue) return new DateTimeValue(floored);
        if (v instanceof TimeSpanValue) return new TimeSpanValue(floored);
        return floored;
      }
      case 'round': {
        const n = num(arg(0));
        const digits = args.length > 1 ? (num(arg(1)) ?? 0) : 0;
        if (n === null) return null;
        const f = 10 ** digits;
        return Math.round(n * f) / f;
      }
      case 'abs': {
        const v = arg(0);
        if (v instanceof TimeSpanValue) return new TimeSpanValue(Math.abs(v.ms));
        const n = num(v);
        return n === null ? null : Math.abs(n);
      }
      case 'ago': {
        const span = num(arg(0));
        return span === null ? null : new DateTimeValue(this.context.nowMs - span);
      }
      case 'now':
        return new DateTimeValue(this.context.nowMs);
      case 'strlen':
        return str(arg(0)).length;
      case 'tolower':
        return str(arg(0)).toLowerCase();
      case 'toupper':
        return str(arg(0)).toUpperCase();
      default:
        if (AGGREGATIONS.has(name)) throw KqlError.semantic(`aggregation function '${name}' can only be used in summarize`);
        throw KqlError.unsupported('function', name);
    }
  }
}

// ------------------------------------------------------------------------------- aggregation

interface Aggregator {
  add(row: Row): void;
  result(): Value[];
}

/** Nearest-rank percentile of ascending-sorted numbers (see the file comment). */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

function defaultAggregateName(call: Extract<Expr, { k: 'call' }>, index: number): string[] {
  const first = call.args[0];
  const colName = first?.k === 'col' ? first.name : undefined;
  switch (call.name) {
    case 'count':
      return ['count_'];
    case 'countif':
      return ['countif_'];
    case 'percentile':
      return [`percentile_${colName ?? ''}_${literalNumber(call.args[1], 'percentile')}`];
    case 'percentiles':
      return call.args.slice(1).map((a) => `percentile_${colName ?? ''}_${literalNumber(a, 'percentiles')}`);
    case 'make_list':
      return [`list_${colName ?? ''}`];
    default:
      return [colName !== undefined ? `${call.name}_${colName}` : `${call.name}_${index}`];
  }
}

function literalNumber(e: Expr | undefined, fn: string): number {
  if (!e || e.k !== 'lit' || typeof e.v !== 'number') throw KqlError.semantic(`${fn}() needs constant numbers after the column`);
  if (e.v < 0 || e.v > 100) throw KqlError.semantic(`${fn}() percentile ${e.v} is outside 0..100`);
  return e.v;
}

function makeAggregator(call: Extract<Expr, { k: 'call' }>, scalar: ScalarEvaluator, inputType: KqlType | undefined): Aggregator {
  const arg = (i: number) => {
    const a = call.args[i];
    if (!a) throw KqlError.semantic(`aggregation '${call.name}' expects more arguments (got ${call.args.length})`);
    return a;
  };
  const wrap = (n: number | null): Value => {
    if (n === null) return null;
    if (inputType === 'datetime') return new DateTimeValue(n);
    if (inputType === 'timespan') return new TimeSpanValue(n);
    return n;
  };
  switch (call.name) {
    case 'count': {
      if (call.args.length > 0) throw KqlError.semantic('count() takes no arguments');
      let n = 0;
      return { add: () => void n++, result: () => [n] };
    }
    case 'countif': {
      const cond = arg(0);
      let n = 0;
      return { add: (row) => void (truthy(scalar.eval(cond, row)) && n++), result: () => [n] };
    }
    case 'sum':
    case 'sumif': {
      const x = arg(0);
      const cond = call.name === 'sumif' ? arg(1) : undefined;
      let total = 0;
      return {
        add: (row) => {
          if (cond && !truthy(scalar.eval(cond, row))) return;
          total += num(scalar.eval(x, row)) ?? 0;
        },
        result: () => [wrap(total)],
      };
    }
    case 'avg':
    case 'avgif': {
      const x = arg(0);
      const cond = call.name === 'avgif' ? arg(1) : undefined;
      let total = 0;
      let n = 0;
      return {
        add: (row) => {
          if (cond && !truthy(scalar.eval(cond, row))) return;
          const v = num(scalar.eval(x, row));
          if (v === null) return;
          total += v;
          n++;
        },
        result: () => [n === 0 ? null : total / n],
      };
    }
    case 'min':
    case 'max':
    case 'minif':
    case 'maxif': {
      const x = arg(0);
      const cond = call.name.endsWith('if') ? arg(1) : undefined;
      const isMax = call.name.startsWith('max');
      let best: Value = null;
      return {
        add: (row) => {
          if (cond && !truthy(scalar.eval(cond, row))) return;
          const v = scalar.eval(x, row);
          if (v === null) return;
          const c = best === null ? null : compare(v, best);
          if (best === null || (c !== null && (isMax ? c > 0 : c < 0))) best = v;
        },
        result: () => [best],
      };
    }
    case 'percentile':
    case 'percentiles': {
      const x = arg(0);
      const ps = call.args.slice(1).map((a) => literalNumber(a, call.name));
      if (ps.length === 0 || (call.name === 'percentile' && ps.length !== 1)) {
        throw KqlError.semantic(
          `${call.name}() needs a column and ${call.name === 'percentile' ? 'one percentile' : 'at least one percentile'}`,
        );
      }
      const values: number[] = [];
      return {
        add: (row) => {
          const v = num(scalar.eval(x, row));
          if (v !== null) values.push(v);
        },
        result: () => {
          values.sort((a, b) => a - b);
          return ps.map((p) => wrap(nearestRank(values, p)));
        },
      };
    }
    case 'dcount':
    case 'dcountif': {
      const x = arg(0);
      const cond = call.name === 'dcountif' ? arg(1) : undefined;
      const seen = new Set<string | number>();
      return {
        add: (row) => {
          if (cond && !truthy(scalar.eval(cond, row))) return;
          const k = cmpKey(scalar.eval(x, row));
          if (k !== null) seen.add(k);
        },
        result: () => [seen.size],
      };
    }
    case 'make_list': {
      const x = arg(0);
      const max = call.args[1] ? literalCount(call.args[1]) : 1_048_576;
      const list: Value[] = [];
      return {
        add: (row) => {
          if (list.length >= max) return;
          const v = scalar.eval(x, row);
          if (v !== null) list.push(v);
        },
        result: () => [list],
      };
    }
    default:
      throw KqlError.unsupported('aggregation', call.name);
  }
}

function literalCount(e: Expr): number {
  if (e.k !== 'lit' || typeof e.v !== 'number' || !Number.isInteger(e.v) || e.v < 1)
    throw KqlError.semantic('make_list() max size must be a positive integer');
  return e.v;
}

// ------------------------------------------------------------------------------- tabular evaluation

function columnName(item: NamedExpr, index: number, taken: Set<string>): string {
  if (item.name !== undefined) return item.name;
  if (item.e.k === 'col') return item.e.name;
  if (item.e.k === 'call' && (item.e.name === 'bin' || item.e.name === 'floor') && item.e.args[0]?.k === 'col') return item.e.args[0].name;
  let n = index + 1;
  while (taken.has(`Column${n}`)) n++;
  return `Column${n}`;
}

export function evaluate(query: Query, source: Table, context: EvaluationContext): Table {
  let table: Table = source;
  for (const op of query.ops) table = applyOperator(op, table, context);
  return table;
}

function applyOperator(op: Operator, table: Table, context: EvaluationContext): Table {
  const schema: Schema = new Map(table.columns.map((c) => [c.name, c.type]));
  const scalar = new ScalarEvaluator(schema, context);
  switch (op.k) {
    case 'where': {
      const t = typeOf(op.e, schema);
      if (t !== 'bool') throw KqlError.semantic(`the where predicate must be a boolean expression (it is ${t})`);
      return { columns: table.columns, rows: table.rows.filter((row) => truthy(scalar.eval(op.e, row))) };
    }
    case 'extend': {
      const columns = [...table.columns];
      const added: { name: string; e: Expr }[] = [];
      const taken = new Set(columns.map((c) => c.name));
      op.cols.forEach((item, i) => {
        const name = columnName(item, i, taken);
        taken.add(name);
        const type = typeOf(item.e, schema);
        const existing = columns.findIndex((c) => c.name === name);
        if (existing >= 0) columns[existing] = { name, type };
        else columns.push({ name, type });
        added.push({ name, e: item.e });
      });
      const rows = table.rows.map((row) => {
        const out: Row = { ...row };
        for (const { name, e } of added) out[name] = scalar.eval(e, row);
        return out;
      });
      return { columns, rows };
    }
    case 'project': {
      const taken = new Set<string>();
      const items = op.cols.map((item, i) => {
        const name = columnName(item, i, taken);
        if (taken.has(name)) throw KqlError.semantic(`project: column '${name}' is named twice`);
        taken.add(name);
        return { name, e: item.e, type: typeOf(item.e, schema) };
      });
      return {
        columns: items.map(({ name, type }) => ({ name, type })),
        rows: table.rows.map((row) => Object.fromEntries(items.map(({ name, e }) => [name, scalar.eval(e, row)]))),
      };
    }
    case 'summarize':
      return summarize(op, table, scalar, schema);
    case 'order': {
      for (const key of op.keys) typeOf(key.e, schema);
      const keyed = table.rows.map((row) => ({ row, keys: op.keys.map((k) => scalar.eval(k.e, row)) }));
      keyed.sort((a, b) => {
        for (const [i, key] of op.keys.entries()) {
          const x = a.keys[i] ?? null;
          const y = b.keys[i] ?? null;
          if (x === null || y === null) {
            if (x === y) continue;
            return (x === null) === key.nullsFirst ? -1 : 1;
          }
          const c = compare(x, y) ?? 0;
          if (c !== 0) return key.desc ? -c : c;
        }
        return 0;
      });
      return { columns: table.columns, rows: keyed.map((k) => k.row) };
    }
    case 'take':
      return { columns: table.columns, rows: table.rows.slice(0, op.n) };
    case 'count':
      return { columns: [{ name: 'Count', type: 'long' }], rows: [{ Count: table.rows.length }] };
  }
}

interface AggregateItem {
  /** Output column names (several for percentiles()). */
  readonly names: readonly string[];
  readonly type: KqlType;
  /** The aggregation calls inside the item, computed per group. */
  readonly calls: readonly {
    readonly call: Extract<Expr, { k: 'call' }>;
    readonly inputType: KqlType | undefined;
    readonly type: KqlType;
  }[];
  /** For an expression over aggregates (e.g. 100.0 * countif(...) / count()): evaluated per group. */
  readonly outer: Expr | undefined;
}

/**
 * summarize: by-columns first, then one column per aggregation (Kusto's order). An item may be
 * an aggregation call or a scalar expression over aggregation calls.
 */
function summarize(op: Extract<Operator, { k: 'summarize' }>, table: Table, scalar: ScalarEvaluator, schema: Schema): Table {
  const taken = new Set<string>();
  const byItems = op.by.map((item, i) => {
    const name = columnName(item, i, taken);
    taken.add(name);
    return { name, e: item.e, type: typeOf(item.e, schema) };
  });
  const aggItems: AggregateItem[] = op.aggs.map((item, i) => {
    const calls: { call: Extract<Expr, { k: 'call' }>; inputType: KqlType | undefined; type: KqlType }[] = [];
    const synthetic = new Map<string, KqlType>(schema);
    const rewrite = (e: Expr): Expr => {
      switch (e.k) {
        case 'call': {
          if (!AGGREGATIONS.has(e.name)) return { ...e, args: e.args.map(rewrite) };
          if (e.name === 'percentiles' && e !== item.e) throw KqlError.unsupported('operator', 'percentiles() inside an expression');
          const type = typeOf(e, schema);
          const inputType = e.args[0] ? typeOf(e.args[0], schema) : undefined;
          const name = `\u0000agg${calls.length}`;
          calls.push({ call: e, inputType, type });
          synthetic.set(name, type);
          return { k: 'col', name };
        }
        case 'bin':
          return { ...e, l: rewrite(e.l), r: rewrite(e.r) };
        case 'neg':
          return { ...e, e: rewrite(e.e) };
        case 'in':
          return { ...e, e: rewrite(e.e), list: e.list.map(rewrite) };
        case 'between':
          return { ...e, e: rewrite(e.e), lo: rewrite(e.lo), hi: rewrite(e.hi) };
        default:
          return e;
      }
    };
    const outer = rewrite(item.e);
    if (calls.length === 0) {
      typeOf(item.e, schema); // names an unknown function if there is one
      throw KqlError.semantic(
        `summarize: '${item.name ?? 'expression'}' must use an aggregation function (count, countif, sum, avg, percentile...)`,
      );
    }
    const direct = item.e.k === 'call' && AGGREGATIONS.has(item.e.name);
    const first = calls[0];
    let names: string[];
    if (direct && first) {
      if (first.call.name === 'percentiles' && item.name !== undefined) throw KqlError.unsupported('operator', 'named percentiles()');
      names =
        first.call.name === 'percentiles'
          ? defaultAggregateName(first.call, i)
          : [item.name ?? defaultAggregateName(first.call, i)[0] ?? `Column${i + 1}`];
    } else {
      let n = i + 1;
      while (taken.has(`Column${n}`)) n++;
      names = [item.name ?? `Column${n}`];
    }
    for (const n of names) {
      if (taken.has(n)) throw KqlError.semantic(`summarize: column '${n}' is named twice`);
      taken.add(n);
    }
    return { names, type: direct && first ? first.type : typeOf(outer, synthetic), calls, outer: direct ? undefined : outer };
  });
  const outerEvaluators = aggItems.map((a) => {
    if (!a.outer) return undefined;
    const types = new Map<string, KqlType>(schema);
    a.calls.forEach((c, j) => types.set(`\u0000agg${j}`, c.type));
    return new ScalarEvaluator(types, scalar.context);
  });
  const groups = new Map<string, { keys: Value[]; aggs: Aggregator[][] }>();
  const newGroup = (keys: Value[]) => ({
    keys,
    aggs: aggItems.map((a) => a.calls.map((c) => makeAggregator(c.call, scalar, c.inputType))),
  });
  for (const row of table.rows) {
    const keys = byItems.map((b) => scalar.eval(b.e, row));
    const id = JSON.stringify(keys.map((k) => (k instanceof DateTimeValue ? `d${k.ms}` : k instanceof TimeSpanValue ? `t${k.ms}` : k)));
    let group = groups.get(id);
    if (!group) {
      group = newGroup(keys);
      groups.set(id, group);
    }
    for (const item of group.aggs) for (const agg of item) agg.add(row);
  }
  if (byItems.length === 0 && groups.size === 0) groups.set('[]', newGroup([]));
  const columns: Column[] = [
    ...byItems.map((b) => ({ name: b.name, type: b.type })),
    ...aggItems.flatMap((a) => a.names.map((name) => ({ name, type: a.type }))),
  ];
  const rows: Row[] = [];
  for (const group of groups.values()) {
    const row: Row = {};
    byItems.forEach((b, i) => (row[b.name] = group.keys[i] ?? null));
    aggItems.forEach((a, i) => {
      const results = (group.aggs[i] ?? []).map((agg) => agg.result());
      const outer = a.outer;
      const evaluator = outerEvaluators[i];
      if (outer && evaluator) {
        const synthetic: Row = {};
        results.forEach((values, j) => (synthetic[`\u0000agg${j}`] = values[0] ?? null));
        row[a.names[0] ?? ''] = evaluator.eval(outer, synthetic);
      } else {
        const values = results[0] ?? [];
        a.names.forEach((name, j) => (row[name] = values[j] ?? null));
      }
    });
    rows.push(row);
  }
  return { columns, rows };
}

// ------------------------------------------------------------------------------- output

/** Kusto's timespan text: [-][d.]hh:mm:ss[.fffffff]. */
function formatTimeSpan(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  const frac = Math.round((rest - s * 1000) * 10_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${sign}${days > 0 ? `${days}.` : ''}${pad(h)}:${pad(m)}:${pad(s)}${frac > 0 ? `.${String(frac).padStart(7, '0')}` : ''}`;
}

/** A value as Log Analytics puts it in a JSON result row. */
function toJson(v: Value): unknown {
  if (v instanceof DateTimeValue) return new Date(v.ms).toISOString();
  if (v instanceof TimeSpanValue) return formatTimeSpan(v.ms);
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return v;
}

export function toJsonCell(v: Value, type: KqlType): unknown {
  // Dynamic values travel as JSON text; the SDK parses them back.
  if (type === 'dynamic') return v === null ? null : JSON.stringify(toJson(v));
  return toJson(v);
}
