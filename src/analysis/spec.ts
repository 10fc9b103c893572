/**
 * Structural checks of a GateSpec, so a misconfigured gate is an error someone reads, never a
 * check that silently passes. The policy schema (src/policy) validates policies earlier; this is
 * the analysis module's own guard for specs that reach it by other paths (tests, plans).
 */
import { ValidationError } from '../errors';
import { agreementSpecProblems } from './agreement';
import { kqlTemplatePlaceholders } from './kql';
import type { BuiltInMetric, GateSpec, MetricCheck } from './types';
import { BUILT_IN_METRICS } from './types';

export type MetricKind =
  | { readonly kind: 'rate'; readonly metric: BuiltInMetric; readonly numerator: 'failed' | 'modelErrors' }
  | { readonly kind: 'quantile'; readonly metric: BuiltInMetric; readonly q: number; readonly column: 'p50' | 'p95' | 'p99' }
  | { readonly kind: 'count'; readonly metric: BuiltInMetric }
  | { readonly kind: 'custom'; readonly metric: string; readonly higherIsWorse: boolean };

export function isBuiltInMetric(name: string): name is BuiltInMetric {
  return (BUILT_IN_METRICS as readonly string[]).includes(name);
}

export function metricKind(spec: GateSpec, metric: string): MetricKind | undefined {
  switch (metric) {
    case 'requestCount':
      return { kind: 'count', metric };
    case 'failedRequestRate':
    case 'errorRate5xx': // the old name, kept as an alias of failedRequestRate (docs/gates.md)
      return { kind: 'rate', metric, numerator: 'failed' };
    case 'modelErrorRate':
      return { kind: 'rate', metric, numerator: 'modelErrors' };
    case 'latencyP50':
      return { kind: 'quantile', metric, q: 0.5, column: 'p50' };
    case 'latencyP95':
      return { kind: 'quantile', metric, q: 0.95, column: 'p95' };
    case 'latencyP99':
      return { kind: 'quantile', metric, q: 0.99, column: 'p99' };
    default: {
      const custom = spec.customMetrics.find((m) => m.name === metric);
      return custom ? { kind: 'custom', metric, higherIsWorse: custom.higherIsWorse } : undefined;
    }
  }
}

function positiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export interface GateSpecCheckOptions {
  /**
   * Accept checks without thresholds: an A/B comparison gate lists the metrics to compare the
   * arms on (decideWinner), not bounds. A guardrail gate must give every check a threshold.
   */
  readonly allowComparisonOnly?: boolean;
}

/** Every problem of a gate spec, each naming the field; empty when the spec is usable. */
export function gateSpecProblems(spec: GateSpec, options: GateSpecCheckOptions = {}): string[] {
  const problems: string[] = [];
  const at = (path: string, message: string) => problems.push(`gates.${spec?.name ?? '?'}${path}: ${message}`);
  if (typeof spec?.name !== 'string' || spec.name === '') at('.name', 'expected a non-empty name');
  if (!(finite(spec?.confidence) && spec.confidence >= 0.5 && spec.confidence < 1)) {
    at('.confidence', `expected a number in [0.5, 1), e.g. 0.95; got ${String(spec?.confidence)}`);
  }
  if (!positiveInteger(spec?.minRequestsPerDeployment))
    at('.minRequestsPerDeployment', `expected a whole number >= 1, got ${String(spec?.minRequestsPerDeployment)}`);
  if (!(finite(spec?.windowMinutes) && spec.windowMinutes > 0))
    at('.windowMinutes', `expected a number > 0, got ${String(spec?.windowMinutes)}`);
  if (!(finite(spec?.ingestionDelayMinutes) && spec.ingestionDelayMinutes >= 0)) {
    at('.ingestionDelayMinutes', `expected a number >= 0, got ${String(spec?.ingestionDelayMinutes)}`);
  }
  if (!positiveInteger(spec?.plannedLooks)) at('.plannedLooks', `expected a whole number >= 1, got ${String(spec?.plannedLooks)}`);
  if (spec?.spending !== undefined && spec.spending !== 'pocock' && spec.spending !== 'obrienFleming') {
    at('.spending', `expected 'pocock' or 'obrienFleming', got ${JSON.stringify(spec.spending)}`);
  }
  const customs = Array.isArray(spec?.customMetrics) ? spec.customMetrics : [];
  if (!Array.isArray(spec?.customMetrics)) at('.customMetrics', 'expected a list');
  const names = new Set<string>();
  customs.forEach((m, i) => {
    if (typeof m?.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(m.name)) {
      at(`.customMetrics[${i}].name`, 'expected a name of letters, digits, _ . - starting with a letter');
    } else if (isBuiltInMetric(m.name)) at(`.customMetrics[${i}].name`, `${m.name} is a built-in metric`);
    else if (names.has(m.name)) at(`.customMetrics[${i}].name`, `${m.name} is declared twice`);
    else names.add(m.name);
    if (typeof m?.kql !== 'string' || m.kql.trim() === '') at(`.customMetrics[${i}].kql`, 'expected KQL text');
    else if (kqlTemplatePlaceholders(m.kql).length === 0) {
      at(
        `.customMetrics[${i}].kql`,
        'uses no placeholder: without {endpoint} / {deployments} and {from} / {to} it cannot be about this comparison',
      );
    }
    if (typeof m?.higherIsWorse !== 'boolean') at(`.customMetrics[${i}].higherIsWorse`, 'expected true or false');
  });
  if (spec?.agreement !== undefined) {
    // A prediction-agreement gate compares answers, not log metrics: it holds no checks.
    problems.push(...agreementSpecProblems(spec.agreement, `gates.${spec.name}.agreement`));
    if (Array.isArray(spec.checks) && spec.checks.length > 0)
      at('.checks', 'a prediction-agreement gate holds no metric checks; declare them in another gate');
    return problems;
  }
  if (!Array.isArray(spec?.checks) || spec.checks.length === 0) {
    at('.checks', 'expected at least one check');
    return problems;
  }
  spec.checks.forEach((check: MetricCheck, i) => {
    const path = `.checks[${i}]`;
    const kind = metricKind(spec, check?.metric);
    if (!kind) {
      at(
        `${path}.metric`,
        `unknown metric ${JSON.stringify(check?.metric)}; expected one of ${[...BUILT_IN_METRICS, ...names].join(', ')}`,
      );
      return;
    }
    const { max, min, maxRatioToBaseline: ratio, maxIncreaseOverBaseline: increase } = check;
    if (max === undefined && min === undefined && ratio === undefined && increase === undefined && !options.allowComparisonOnly) {
      at(path, 'declares no threshold (max, min, maxRatioToBaseline or maxIncreaseOverBaseline)');
    }
    for (const [field, value] of Object.entries({ max, min, maxRatioToBaseline: ratio, maxIncreaseOverBaseline: increase })) {
      if (value !== undefined && !finite(value)) at(`${path}.${field}`, `expected a finite number, got ${String(value)}`);
    }
    if (kind.kind === 'rate') {
      if (finite(max) && (max < 0 || max > 1)) at(`${path}.max`, `a rate bound is a fraction in [0, 1] (0.02 = 2%), got ${max}`);
      if (finite(min) && (min < 0 || min > 1)) at(`${path}.min`, `a rate bound is a fraction in [0, 1], got ${min}`);
    }
    if (finite(ratio) && !(ratio > 0)) at(`${path}.maxRatioToBaseline`, `expected a ratio > 0 (e.g. 1.5), got ${ratio}`);
    if (finite(increase) && increase < 0) at(`${path}.maxIncreaseOverBaseline`, `expected a number >= 0, got ${increase}`);
    if (finite(max) && finite(min) && min > max) at(path, `min (${min}) is above max (${max})`);
  });
  return problems;
}

/** Throws a ValidationError listing every problem of the spec. */
export function validateGateSpec(spec: GateSpec, options: GateSpecCheckOptions = {}): void {
  const problems = gateSpecProblems(spec, options);
  if (problems.length > 0) throw new ValidationError(`gates.${spec?.name ?? '?'}`, `invalid gate: ${problems.join('; ')}`);
}
