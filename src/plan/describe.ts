/** One-line, human-readable descriptions of plan steps (status, journal, dashboard, CLI). */
import type { Plan, Split, Step } from './types';

function formatSplit(split: Split): string {
  const entries = Object.entries(split);
  return entries.length === 0 ? 'none' : entries.map(([name, pct]) => `${name} ${pct}%`).join(', ');
}

function minutes(value: number): string {
  return `${value} min`;
}

function describeStep(step: Step): string {
  switch (step.kind) {
    case 'deploy':
      return `deploy ${step.deployment} (model ${step.modelId}, settings cloned from ${step.cloneFrom}${step.instanceCount === undefined ? '' : `, ${step.instanceCount} instances`})`;
    case 'replaceModel':
      return `replace the model of ${step.deployment} in place with ${step.modelId}`;
    case 'smokeTest':
      return `smoke test ${step.deployment}: ${step.requests} direct requests, at most ${step.maxFailures} failures`;
    case 'mirror':
      return step.percent === 0 ? `stop mirroring to ${step.deployment}` : `mirror ${step.percent}% of live traffic to ${step.deployment}`;
    case 'setTraffic':
      return `set live traffic: ${formatSplit(step.traffic)}`;
    case 'bake': {
      const gates = step.gates.length ? `, checking ${step.gates.join(', ')} every ${minutes(step.checkIntervalMinutes)}` : '';
      const data = step.minRequests > 0 ? `, until ${step.minRequests} requests (up to ${minutes(step.maxExtensionMinutes)} more)` : '';
      return `bake ${minutes(step.durationMinutes)}${gates}${data}`;
    }
    case 'gate':
      return `check gates ${step.gates.join(', ')}`;
    case 'decideWinner':
      return `compare the arms on ${step.gate} (at least ${step.minRequestsPerArm} requests each) and keep the winner`;
    case 'approval':
      return `wait for approval "${step.name}" (${minutes(step.timeoutMinutes)}, then ${step.onTimeout})`;
    case 'promote':
      return 'promote: the candidate takes 100% of live traffic';
    case 'rollback':
      return 'roll back: the baseline takes 100% again, the candidate is removed';
    case 'cleanup':
      return step.afterMinutes > 0 ? `delete ${step.deployment} after ${minutes(step.afterMinutes)}` : `delete ${step.deployment}`;
  }
}

/** The whole plan, one numbered line per step (for logs, `--dry-run`, docs). */
export function describePlan(plan: Plan): string {
  const head = `${plan.strategy} rollout of ${plan.model.name}:${plan.model.version} to ${plan.target.endpoint} (${plan.baseline.deployment} -> ${plan.candidate.deployment}), policy ${plan.policyName}`;
  return [head, ...plan.steps.map((s, i) => `  ${i + 1}. ${describeStep(s)}`)].join('\n');
}
