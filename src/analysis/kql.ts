/**
 * The one escaping helper for KQL text. Every value that ends up inside a query the controller
 * sends to Log Analytics goes through a function of this module: string literals, identifiers
 * (table / column names), datetime literals, numbers, timespans and lists of strings.
 *
 * Why hand-written: the Log Analytics query API (and the JS SDK) has no parameter binding, and no
 * maintained npm package escapes KQL. We therefore keep the accepted inputs narrow and REFUSE
 * (ValidationError) anything we cannot render safely, rather than trying to be clever: a value we
 * refuse is a configuration error that a person must see, never a query that silently means
 * something else.
 *
 * The output stays inside the KQL subset documented in docs/gates.md (the local Log Analytics
 * emulator supports only that subset): string literals use double quotes with only the escapes
 * \" and \\, datetimes are datetime(ISO-8601), numbers are plain decimals.
 */
import { ValidationError } from '../errors';

/** Longest string literal we render; endpoint and deployment names are at most 32 characters. */
const MAX_STRING_LITERAL_LENGTH = 1024;

/** Control characters (C0, DEL, C1) and the Unicode line / paragraph separators. */
// eslint-disable-next-line no-control-regex
const UNSAFE_STRING_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A KQL string literal: "value" with backslash and double quote escaped. Refuses control
 * characters (newlines, tabs, NUL...): the emulator's subset knows no \n escape, and no name the
 * controller interpolates (endpoint, deployment, model) can legitimately contain one.
 */
export function kqlString(value: string, what = 'string value'): string {
  if (typeof value !== 'string') {
    throw new ValidationError(what, `expected a string, got ${typeof value}`);
  }
  if (value.length > MAX_STRING_LITERAL_LENGTH) {
    throw new ValidationError(what, `is ${value.length} characters long; at most ${MAX_STRING_LITERAL_LENGTH} can be put into a query`);
  }
  const bad = UNSAFE_STRING_CHARS.exec(value);
  if (bad) {
    const code = bad[0].codePointAt(0) ?? 0;
    throw new ValidationError(
      what,
      `contains the control character U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${bad.index}; it cannot be put into a query`,
    );
  }
  // Surrogate halves on their own are not valid text; refuse instead of sending mojibake.
  if (LONE_SURROGATE.test(value)) {
    throw new ValidationError(what, 'contains an unpaired UTF-16 surrogate');
  }
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A parenthesised list of string literals, for `in (...)` / `!in (...)`. Refuses an empty list. */
export function kqlStringList(values: readonly string[], what = 'string list'): string {
  if (!Array.isArray(values) || values.length === 0) {
    throw new ValidationError(what, 'expected at least one value');
  }
  return `(${values.map((v, i) => kqlString(v, `${what}[${i}]`)).join(', ')})`;
}

/** Words KQL reserves; a bare identifier with one of these names would change the query's meaning. */
const RESERVED_WORDS = new Set([
  'and',
  'or',
  'not',
  'in',
  'has',
  'contains',
  'startswith',
  'endswith',
  'between',
  'by',
  'on',
  'let',
  'set',
  'where',
  'project',
  'extend',
  'summarize',
  'order',
  'sort',
  'take',
  'limit',
  'top',
  'union',
  'join',
  'as',
  'asc',
  'desc',
  'nulls',
  'first',
  'last',
  'true',
  'false',
  'null',
  'datetime',
  'timespan',
  'dynamic',
  'bool',
  'int',
  'long',
  'real',
  'double',
  'string',
  'guid',
  'decimal',
  'iff',
  'case',
  'with',
  'of',
  'kind',
  'matches',
  'regex',
  'like',
  'print',
  'range',
  'to',
  'step',
  'evaluate',
  'render',
  'invoke',
  'declare',
  'pattern',
  'restrict',
  'access',
  'materialize',
  'toscalar',
  'database',
  'cluster',
  'table',
  'external_table',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * A bare KQL identifier (table or column name). Only letters, digits and underscores, not
 * starting with a digit, not a reserved word: KQL's bracket quoting (['name']) is outside the
 * subset the controller generates, so names that would need it are refused.
 */
export function kqlIdentifier(name: string, what = 'identifier'): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new ValidationError(
      what,
      `${JSON.stringify(name)} is not a plain KQL name (letters, digits and underscores, not starting with a digit, at most 128 characters)`,
    );
  }
  if (RESERVED_WORDS.has(name.toLowerCase())) {
    throw new ValidationError(what, `${JSON.stringify(name)} is a KQL keyword and cannot be used as a name`);
  }
  return name;
}

/**
 * Datetimes from year 2000 to 9999. Request logs of this product are never older than 2000, so
 * the lower limit catches unit mix-ups: epoch SECONDS read as milliseconds land in January 1970.
 */
const MIN_DATETIME_MS = Date.UTC(2000, 0, 1);
const MAX_DATETIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A datetime literal in UTC, e.g. datetime(2026-11-23T10:00:00.000Z). */
export function kqlDatetime(epochMs: number, what = 'datetime'): string {
  if (typeof epochMs !== 'number' || !Number.isInteger(epochMs)) {
    throw new ValidationError(what, `expected whole epoch milliseconds, got ${String(epochMs)}`);
  }
  if (epochMs < MIN_DATETIME_MS || epochMs > MAX_DATETIME_MS) {
    throw new ValidationError(what, `${epochMs} ms is outside the years 2000-9999 (is it in seconds instead of milliseconds?)`);
  }
  return `datetime(${new Date(epochMs).toISOString()})`;
}

/**
 * A number literal: plain decimal notation. Refuses NaN, infinities and values whose shortest
 * representation needs an exponent (1e-7, 1e21): the subset has no exponent syntax, and a
 * silently rounded threshold would be worse than an error.
 */
export function kqlNumber(value: number, what = 'number'): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(what, `expected a finite number, got ${String(value)}`);
  }
  const text = String(value);
  if (/e/i.test(text)) {
    throw new ValidationError(
      what,
      `${text} needs exponent notation, which the generated KQL does not use; choose a value between 1e-6 and 1e21`,
    );
  }
  return text;
}

const TIMESPAN_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** A timespan literal such as 5m, 1h, 30s or 250ms (the largest unit that divides it exactly). */
export function kqlTimespan(durationMs: number, what = 'timespan'): string {
  if (typeof durationMs !== 'number' || !Number.isInteger(durationMs) || durationMs <= 0) {
    throw new ValidationError(what, `expected a positive whole number of milliseconds, got ${String(durationMs)}`);
  }
  for (const [unit, size] of TIMESPAN_UNITS) {
    if (durationMs % size === 0) return `${durationMs / size}${unit}`;
  }
  /* c8 ignore next: the 'ms' unit divides every integer */
  throw new ValidationError(what, `cannot render ${durationMs} ms`);
}

/** The placeholders a custom metric's KQL may use, and what each becomes. */
/** The placeholders a custom metric's KQL may use: the one list the policy check and the filler share. */
export const KQL_PLACEHOLDERS = ['endpoint', 'deployments', 'baseline', 'candidate', 'from', 'to'] as const;
export type KqlPlaceholder = (typeof KQL_PLACEHOLDERS)[number];

export interface KqlTemplateValues {
  readonly endpoint: string;
  /** Both deployments of the comparison; {deployments} becomes ("baseline", "candidate"). */
  readonly baseline: string;
  readonly candidate: string;
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * Fill a custom metric's KQL template. Each placeholder becomes a COMPLETE literal rendered by
 * this module: {endpoint}, {baseline}, {candidate} -> "string"; {deployments} -> ("a", "b")
 * (write `DeploymentName in {deployments}`); {from}, {to} -> datetime(...).
 *
 * Refused, with the reason: an unknown placeholder, a placeholder inside a string literal or a
 * comment (it would be quoted twice or silently ignored), an unterminated string literal.
 */
export function fillKqlTemplate(template: string, values: KqlTemplateValues, what = 'kql'): string {
  if (typeof template !== 'string' || template.trim() === '') {
    throw new ValidationError(what, 'the query is empty');
  }
  const deployments = values.baseline === values.candidate ? [values.baseline] : [values.baseline, values.candidate];
  const rendered: Record<KqlPlaceholder, string> = {
    endpoint: kqlString(values.endpoint, `${what}: {endpoint}`),
    deployments: kqlStringList(deployments, `${what}: {deployments}`),
    baseline: kqlString(values.baseline, `${what}: {baseline}`),
    candidate: kqlString(values.candidate, `${what}: {candidate}`),
    from: kqlDatetime(values.fromMs, `${what}: {from}`),
    to: kqlDatetime(values.toMs, `${what}: {to}`),
  };

  let out = '';
  let i = 0;
  const n = template.length;
  while (i < n) {
    const ch = template[i] as string;
    // Line comment: copy through; a placeholder in it would silently do nothing.
    if (ch === '/' && template[i + 1] === '/') {
      const end = template.indexOf('\n', i);
      const comment = end === -1 ? template.slice(i) : template.slice(i, end);
      const inComment = /\{([A-Za-z_]+)\}/.exec(comment);
      if (inComment) {
        throw new ValidationError(what, `placeholder {${inComment[1]}} is inside a comment`);
      }
      out += comment;
      i += comment.length;
      continue;
    }
    // Multi-line string literal: ```...```.
    if (template.startsWith('```', i)) {
      const end = template.indexOf('```', i + 3);
      if (end === -1) throw new ValidationError(what, `unterminated \`\`\` string literal starting at character ${i + 1}`);
      const literal = template.slice(i, end + 3);
      const inString = /\{([A-Za-z_]+)\}/.exec(literal);
      if (inString) {
        throw new ValidationError(
          what,
          `placeholder {${inString[1]}} is inside a string literal; placeholders become complete literals, write it without quotes`,
        );
      }
      out += literal;
      i = end + 3;
      continue;
    }
    // String literals: "..." and '...' with backslash escapes, @"..." / @'...' verbatim.
    if (ch === '"' || ch === "'") {
      const verbatim = i > 0 && template[i - 1] === '@';
      let j = i + 1;
      for (; j < n; j++) {
        const c = template[j];
        if (!verbatim && c === '\\') {
          j++;
          continue;
        }
        if (c === ch) break;
        if (c === '\n') break;
      }
      if (j >= n || template[j] !== ch) {
        throw new ValidationError(what, `unterminated string literal starting at character ${i + 1}`);
      }
      const literal = template.slice(i, j + 1);
      const inString = /\{([A-Za-z_]+)\}/.exec(literal);
      if (inString) {
        throw new ValidationError(
          what,
          `placeholder {${inString[1]}} is inside a string literal; placeholders become complete literals, write it without quotes`,
        );
      }
      out += literal;
      i = j + 1;
      continue;
    }
    if (ch === '{') {
      const m = /^\{([A-Za-z_]+)\}/.exec(template.slice(i));
      if (m) {
        const name = m[1] as string;
        if (!(KQL_PLACEHOLDERS as readonly string[]).includes(name)) {
          throw new ValidationError(what, `unknown placeholder {${name}}; known: ${KQL_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
        }
        out += rendered[name as KqlPlaceholder];
        i += m[0].length;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}

/** The placeholders a template uses (for validation and documentation). */
export function kqlTemplatePlaceholders(template: string): KqlPlaceholder[] {
  const found = new Set<KqlPlaceholder>();
  for (const m of template.matchAll(/\{([A-Za-z_]+)\}/g)) {
    const name = m[1] as string;
    if ((KQL_PLACEHOLDERS as readonly string[]).includes(name)) found.add(name as KqlPlaceholder);
  }
  return [...found];
}
