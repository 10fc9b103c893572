/**
 * Rules that relate several fields of a policy. They run after the schema accepted the shapes
 * and report every problem at once (a policy author fixes a file in one go, not one error per run).
 */
import { parsePredictionPath, PREDICTION_AGREEMENT_GATE } from '../analysis/agreement';
import { fillKqlTemplate, KQL_PLACEHOLDERS } from '../analysis/kql';
import { BUILT_IN_METRICS } from '../analysis/types';
import { RolloutError } from '../errors';
import { DEPLOYMENT_NAME_PLACEHOLDERS, type GatePolicy, type Policy } from './schema';
import { declaredStrategyKeys } from './strategy';

export type IssuePath = readonly (string | number)[];

export interface PolicyIssue {
  readonly path: IssuePath;
  readonly message: string;
}

/** Any valid instant works for the trial fill of a custom metric's KQL (2026-01-01T00:00:00Z). */
const SAMPLE_WINDOW_START_MS = Date.UTC(2026, 0, 1);

/** Metrics that are fractions (0..1), so absolute bounds outside that range are mistakes. */
const RATE_METRICS = new Set<string>(['failedRequestRate', 'errorRate5xx', 'modelErrorRate']);
const BUILT_INS = new Set<string>(BUILT_IN_METRICS);

/** True when a check compares the candidate with the baseline (needs baseline traffic). */
export function isRelativeCheck(check: { maxRatioToBaseline?: number | undefined; maxIncreaseOverBaseline?: number | undefined }): boolean {
  return check.maxRatioToBaseline !== undefined || check.maxIncreaseOverBaseline !== undefined;
}

function quoteList(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.map((n) => `"${n}"`).join(', ');
}

function placeholdersIn(text: string): string[] {
  return [...text.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] ?? '');
}

export function crossCheckPolicy(policy: Policy): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const add = (path: IssuePath, message: string): void => {
    issues.push({ path, message });
  };

  const gateNames = Object.keys(policy.gates);
  const approvalNames = Object.keys(policy.approvals);
  const customNames = Object.keys(policy.customMetrics);

  const checkGateRefs = (refs: readonly string[] | undefined, path: IssuePath): void => {
    if (!refs) return;
    const seen = new Set<string>();
    refs.forEach((ref, i) => {
      if (!(ref in policy.gates)) add([...path, i], `unknown gate "${ref}" (declared gates: ${quoteList(gateNames)})`);
      if (seen.has(ref)) add([...path, i], `gate "${ref}" is listed twice`);
      seen.add(ref);
    });
  };
  const checkApprovalRef = (ref: string | undefined, path: IssuePath): void => {
    if (ref !== undefined && !(ref in policy.approvals))
      add(path, `unknown approval "${ref}" (declared approvals: ${quoteList(approvalNames)})`);
  };
  const isKnownMetric = (metric: string): boolean => BUILT_INS.has(metric) || metric in policy.customMetrics;
  const unknownMetricMessage = (metric: string): string =>
    `unknown metric "${metric}" (built-in: ${BUILT_IN_METRICS.join(', ')}; custom: ${customNames.length ? customNames.join(', ') : 'none declared under customMetrics'})`;
  /** Gates whose checks all compare with the baseline cannot judge anything when the baseline takes no traffic. */
  const checkAbsoluteUsable = (refs: readonly string[] | undefined, path: IssuePath, why: string): void => {
    refs?.forEach((ref, i) => {
      const gate = policy.gates[ref];
      if (gate && !gate.checks.some((c) => c.max !== undefined || c.min !== undefined)) {
        add(
          [...path, i],
          `gate "${ref}" only has thresholds relative to the baseline, which ${why}; give it an absolute max/min or use another gate here`,
        );
      }
    });
  };

  // --- strategy: exactly one -------------------------------------------------------------
  const keys = declaredStrategyKeys(policy.strategy);
  if (keys.length !== 1) {
    add(
      ['strategy'],
      keys.length === 0
        ? 'declare exactly one strategy: canary, blueGreen, shadow, abTest or recreate'
        : `declare exactly one strategy, found ${keys.length} (${keys.join(', ')})`,
    );
  }

  const s = policy.strategy;
  if (s.canary) {
    const base = ['strategy', 'canary'];
    const steps = s.canary.steps;
    steps.forEach((step, i) => {
      const prev = steps[i - 1];
      if (prev && step.percent <= prev.percent) {
        add(
          [...base, 'steps', i, 'percent'],
          `must be greater than steps[${i - 1}].percent (${prev.percent}): traffic steps go strictly up`,
        );
      }
      checkGateRefs(step.gates, [...base, 'steps', i, 'gates']);
      checkApprovalRef(step.approval, [...base, 'steps', i, 'approval']);
      if (step.percent === 100) checkAbsoluteUsable(step.gates, [...base, 'steps', i, 'gates'], 'serves no traffic at 100 percent');
    });
    const last = steps[steps.length - 1];
    if (last && last.percent !== 100) {
      add(
        [...base, 'steps', steps.length - 1, 'percent'],
        `the last step must be 100 (found ${last.percent}): the candidate is promoted at the last step`,
      );
    }
    checkGateRefs(s.canary.gates, [...base, 'gates']);
    if (s.canary.mirror) checkGateRefs(s.canary.mirror.gates, [...base, 'mirror', 'gates']);
  }
  if (s.blueGreen) {
    const base = ['strategy', 'blueGreen'];
    checkGateRefs(s.blueGreen.gates, [...base, 'gates']);
    if (s.blueGreen.mirror) checkGateRefs(s.blueGreen.mirror.gates, [...base, 'mirror', 'gates']);
    checkApprovalRef(s.blueGreen.approval, [...base, 'approval']);
  }
  if (s.shadow) {
    const base = ['strategy', 'shadow'];
    checkGateRefs(s.shadow.gates, [...base, 'gates']);
    checkApprovalRef(s.shadow.approval, [...base, 'approval']);
  }
  if (s.abTest) {
    const base = ['strategy', 'abTest'];
    const ab = s.abTest;
    if (ab.split.baseline + ab.split.candidate !== 100) {
      add(
        [...base, 'split'],
        `baseline + candidate must be 100 (found ${ab.split.baseline} + ${ab.split.candidate} = ${ab.split.baseline + ab.split.candidate})`,
      );
    }
    if (ab.durationMinutes === undefined && ab.minRequestsPerArm === undefined) {
      add(base, 'declare durationMinutes, minRequestsPerArm (sample size), or both: the test needs a stopping rule');
    }
    if (ab.minRequestsPerArm !== undefined && ab.durationMinutes === undefined && ab.maxDurationMinutes === undefined) {
      add(
        [...base, 'maxDurationMinutes'],
        'required with minRequestsPerArm and no durationMinutes: how long may the test wait for its sample size?',
      );
    }
    if (ab.maxDurationMinutes !== undefined && ab.durationMinutes !== undefined && ab.maxDurationMinutes < ab.durationMinutes) {
      add([...base, 'maxDurationMinutes'], `must be at least durationMinutes (${ab.durationMinutes})`);
    }
    const seen = new Set<string>();
    ab.metrics.forEach((metric, i) => {
      if (!isKnownMetric(metric)) add([...base, 'metrics', i], unknownMetricMessage(metric));
      else if (metric === 'requestCount')
        add(
          [...base, 'metrics', i],
          'requestCount measures the split, not the model: compare failedRequestRate, modelErrorRate, a latency or a custom metric',
        );
      if (seen.has(metric)) add([...base, 'metrics', i], `metric "${metric}" is listed twice`);
      seen.add(metric);
    });
    checkGateRefs(ab.guardrails, [...base, 'guardrails']);
    checkApprovalRef(ab.approval, [...base, 'approval']);
  }
  if (s.recreate) {
    const base = ['strategy', 'recreate'];
    checkGateRefs(s.recreate.healthCheck.gates, [...base, 'healthCheck', 'gates']);
    checkAbsoluteUsable(s.recreate.healthCheck.gates, [...base, 'healthCheck', 'gates'], 'does not exist beside the replaced model');
    checkApprovalRef(s.recreate.approval, [...base, 'approval']);
  }

  // --- gates ------------------------------------------------------------------------------
  for (const [gateName, gate] of Object.entries(policy.gates)) {
    checkGate(gateName, gate);
  }
  function checkGate(gateName: string, gate: GatePolicy): void {
    const base = ['gates', gateName];
    gate.checks.forEach((check, i) => {
      const path = [...base, 'checks', i];
      if (!isKnownMetric(check.metric)) add([...path, 'metric'], unknownMetricMessage(check.metric));
      if (check.max === undefined && check.min === undefined && !isRelativeCheck(check)) {
        add(
          path,
          'declare at least one threshold (max, min, maxRatioToBaseline or maxIncreaseOverBaseline): a check without one would always pass',
        );
      }
      if (check.max !== undefined && check.min !== undefined && check.min > check.max)
        add([...path, 'min'], `must not exceed max (${check.max})`);
      if (RATE_METRICS.has(check.metric)) {
        for (const key of ['max', 'min'] as const) {
          const v = check[key];
          if (v !== undefined && (v < 0 || v > 1))
            add([...path, key], `${check.metric} is a fraction between 0 and 1 (e.g. 0.02 for 2%), found ${v}`);
        }
      }
    });
    if (gate.windowMinutes < gate.checkIntervalMinutes) {
      add(
        [...base, 'windowMinutes'],
        `must be at least checkIntervalMinutes (${gate.checkIntervalMinutes}), or requests between two checks are never examined`,
      );
    }
    if (gate.noData.outcome === 'requestApproval' && approvalNames.length === 0) {
      add([...base, 'noData', 'outcome'], 'requestApproval needs someone to ask: declare an approval under approvals');
    }
  }

  // --- custom metrics ---------------------------------------------------------------------
  for (const [metricName, metric] of Object.entries(policy.customMetrics)) {
    const path = ['customMetrics', metricName];
    if (BUILT_INS.has(metricName)) add(path, `"${metricName}" is a built-in metric; give the custom metric another name`);
    const used = placeholdersIn(metric.kql);
    for (const p of used) {
      if (!(KQL_PLACEHOLDERS as readonly string[]).includes(p))
        add([...path, 'kql'], `unknown placeholder {${p}} (known: ${KQL_PLACEHOLDERS.map((k) => `{${k}}`).join(', ')})`);
    }
    for (const required of ['from', 'to']) {
      if (!used.includes(required))
        add([...path, 'kql'], `must use {${required}}: without the time window the query would read all history`);
    }
    // Fill it once with sample values through the same escaping helper the gates use, so a
    // placeholder inside a string literal or a comment is refused now, not at the first gate check.
    if (used.every((p) => (KQL_PLACEHOLDERS as readonly string[]).includes(p))) {
      try {
        fillKqlTemplate(
          metric.kql,
          {
            endpoint: policy.target.endpoint,
            baseline: 'blue',
            candidate: 'green',
            fromMs: SAMPLE_WINDOW_START_MS,
            toMs: SAMPLE_WINDOW_START_MS + 60_000,
          },
          'kql',
        );
      } catch (error) {
        if (!(error instanceof RolloutError)) throw error;
        add([...path, 'kql'], error.message.replace(/^kql: /, ''));
      }
    }
  }

  // --- approvals ---------------------------------------------------------------------------
  for (const [approvalName, approval] of Object.entries(policy.approvals)) {
    const seen = new Set<string>();
    approval.approvers.forEach((who, i) => {
      if (seen.has(who.toLowerCase())) add(['approvals', approvalName, 'approvers', i], `"${who}" is listed twice`);
      seen.add(who.toLowerCase());
    });
  }

  // --- target, smoke test -----------------------------------------------------------------
  for (const p of placeholdersIn(policy.target.deploymentName)) {
    if (!(DEPLOYMENT_NAME_PLACEHOLDERS as readonly string[]).includes(p)) {
      add(
        ['target', 'deploymentName'],
        `unknown placeholder {${p}} (known: ${DEPLOYMENT_NAME_PLACEHOLDERS.map((k) => `{${k}}`).join(', ')})`,
      );
    }
  }
  if (policy.smokeTest.maxFailures >= policy.smokeTest.requests) {
    add(['smokeTest', 'maxFailures'], `must be less than requests (${policy.smokeTest.requests}), or the smoke test could never fail`);
  }

  // --- prediction agreement ----------------------------------------------------------------
  const agreement = policy.predictionAgreement;
  if (agreement) {
    const path = parsePredictionPath(agreement.predictionPath);
    if (typeof path === 'string') add(['predictionAgreement', 'predictionPath'], path);
    if (PREDICTION_AGREEMENT_GATE in policy.gates)
      add(
        ['gates', PREDICTION_AGREEMENT_GATE],
        `the name "${PREDICTION_AGREEMENT_GATE}" is taken by the prediction-agreement check; rename this gate`,
      );
    if (s.recreate)
      add(
        ['predictionAgreement'],
        'recreate replaces the model of the live deployment in place: there is no second deployment to compare its predictions with; use canary, blueGreen, shadow or abTest',
      );
  }

  return issues;
}
