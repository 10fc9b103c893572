/**
 * Reading a policy from text (YAML or JSON) or from an already-parsed value, with errors a person
 * can act on: every problem names the file, the line when known, the path inside the policy and
 * what is expected, and all problems are reported together.
 */
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../errors';
import { crossCheckPolicy, type IssuePath, type PolicyIssue } from './cross-check';
import { policySchema, type Policy } from './schema';

export interface LocatedIssue extends PolicyIssue {
  /** 1-based line in the source text, when the policy came from text. */
  readonly line?: number;
}

/** A policy that does not hold; `issues` lists every problem found. */
export class PolicyError extends ValidationError {
  readonly file: string;
  readonly issues: readonly LocatedIssue[];
  constructor(file: string, issues: readonly LocatedIssue[]) {
    const lines = issues.map((issue) => formatIssue(file, issue));
    const message = lines.length === 1 ? (lines[0] ?? '') : `${file}: ${lines.length} problems:\n  ${lines.join('\n  ')}`;
    // Every line of the message already starts with the file, so the base class must not prefix it again.
    super('', message, { code: 'InvalidPolicy', details: { file, issues } });
    (this as { path: string }).path = file;
    this.file = file;
    this.issues = issues;
  }
}

/** `strategy.canary.steps[2].percent`; keys that are not identifiers are quoted: `match.tags["team.name"]`. */
function formatIssuePath(path: IssuePath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

function formatIssue(file: string, issue: LocatedIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}`;
  const path = formatIssuePath(issue.path);
  return path ? `${where}: ${path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Finds the line of a path inside a YAML document: the deepest existing node on the path. */
type Locator = (path: IssuePath) => number | undefined;

function yamlLocator(doc: Document, counter: LineCounter): Locator {
  return (path) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node: unknown = doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
    }
    return undefined;
  };
}

/** Levenshtein distance, for "did you mean" on misspelt keys (tiny; not worth a dependency). */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j] ?? 0;
      prev[j] = Math.min(above + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      diag = above;
    }
  }
  return prev[b.length] ?? 0;
}

/** The object schema found at a path of the policy schema (through optional/default/array/record). */
function objectKeysAt(path: IssuePath): string[] | undefined {
  let schema: z.ZodType = policySchema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    let current = s;
    for (;;) {
      if (
        current instanceof z.ZodOptional ||
        current instanceof z.ZodDefault ||
        current instanceof z.ZodPrefault ||
        current instanceof z.ZodNullable
      ) {
        current = current.unwrap() as z.ZodType;
      } else return current;
    }
  };
  for (const part of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject && typeof part === 'string') schema = (schema.shape as Record<string, z.ZodType>)[part] ?? schema;
    else if (schema instanceof z.ZodArray && typeof part === 'number') schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
    else return undefined;
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : undefined;
}

function unknownKeyMessage(key: string, known: readonly string[] | undefined): string {
  if (!known) return `unknown field "${key}"`;
  const closest = known
    .map((k) => ({ k, d: editDistance(key, k) }))
    .filter(({ d }) => d <= Math.max(2, Math.floor(key.length / 3)))
    .sort((a, b) => a.d - b.d)[0];
  const hint = closest ? ` (did you mean "${closest.k}"?)` : '';
  return `unknown field "${key}"${hint}; expected one of: ${known.join(', ')}`;
}

function found(input: unknown): string {
  if (input === undefined) return '';
  const text = JSON.stringify(input);
  return text === undefined ? '' : `, found ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
}

/**
 * Rewrites zod's generic messages ("Too small: expected number to be >=0") into what a policy
 * author reads more easily, with the value found; messages the schema sets itself are kept.
 */
function friendlyMessage(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  const message = issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      const missing = /^Invalid input: expected (\w+), received undefined$/.exec(message);
      if (missing) return `required (expected ${missing[1]})`;
      const wrong = /^Invalid input: expected (\w+), received (\w+)$/.exec(message);
      if (!wrong) return message;
      if (wrong[1] === 'int') return `must be a whole number${found(input)}`;
      const value = found(input).replace(/^, found /, ' ');
      return `expected ${wrong[1]}, found ${wrong[2]}${value}`;
    }
    case 'too_small':
    case 'too_big': {
      if (!/^Too (small|big)/.test(message)) return message;
      const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const inclusive = issue.inclusive !== false;
      if (issue.origin === 'array')
        return issue.code === 'too_small' ? `needs at least ${limit} item(s)` : `allows at most ${limit} item(s)`;
      if (issue.origin === 'string')
        return issue.code === 'too_small'
          ? limit <= 1
            ? 'must not be empty'
            : `needs at least ${limit} characters`
          : `allows at most ${limit} characters`;
      const bound = issue.code === 'too_small' ? (inclusive ? 'at least' : 'greater than') : inclusive ? 'at most' : 'less than';
      return `must be ${bound} ${limit}${found(input)}`;
    }
    case 'invalid_key':
      return `invalid name: ${issue.issues.map((i) => i.message).join('; ')}`;
    case 'invalid_union':
      // z.json() (smokeTest.payload) is a union: a missing value fails every branch.
      return input === undefined ? 'required (any JSON value)' : message;
    case 'invalid_value':
      return /^Invalid (option|input)/.test(message)
        ? `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${found(input)}`
        : message;
    default:
      return message;
  }
}

function zodIssues(error: z.ZodError): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      const known = objectKeysAt(path);
      for (const key of issue.keys) out.push({ path: [...path, key], message: unknownKeyMessage(key, known) });
      continue;
    }
    out.push({ path, message: friendlyMessage(issue) });
  }
  return out;
}

/**
 * Validates an already-parsed policy (e.g. inline in a scenario). `source` names it in errors.
 * Throws PolicyError listing every problem.
 */
export function validatePolicy(value: unknown, source: string, locate?: Locator): Policy {
  const located = (issues: readonly PolicyIssue[]): LocatedIssue[] =>
    issues.map((issue) => {
      const line = locate?.(issue.path);
      return line === undefined ? issue : { ...issue, line };
    });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PolicyError(source, [
      {
        path: [],
        message: `a policy is a mapping (object) with name, match, target, strategy, smokeTest, ...; found ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`,
      },
    ]);
  }
  const parsed = policySchema.safeParse(value, { reportInput: true });
  if (!parsed.success) throw new PolicyError(source, located(zodIssues(parsed.error)));
  const cross = crossCheckPolicy(parsed.data);
  if (cross.length > 0) throw new PolicyError(source, located(cross));
  return parsed.data;
}

/** Parses a policy file's text (YAML 1.2; JSON is valid YAML). `file` names it in errors. */
export function parsePolicy(text: string, file: string): Policy {
  const counter = new LineCounter();
  // uniqueKeys: a key written twice is an error, not "last one wins" (a silent override).
  // merge: `<<: *anchor` lets a policy share check lists or gate settings between gates.
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    throw new PolicyError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? counter.linePos(e.pos[0]);
        const message = `column ${pos.col}: not valid YAML/JSON: ${e.message.split('\n')[0] ?? e.message}`;
        return { path: [], message, line: pos.line };
      }),
    );
  }
  // A one-line document (e.g. JSON.stringify output) gains nothing from ":1" on every problem.
  const multiLine = text.trim().includes('\n');
  return validatePolicy(doc.toJS({ maxAliasCount: 100 }), file, multiLine ? yamlLocator(doc, counter) : undefined);
}
