/**
 * The one language for steps, splits and waits. Every reader of a rollout (status, journal, API,
 * CLI, dashboard, approval page, notifications, simulations) words them through these functions,
 * so the same step is "step 13 of 16" everywhere and a wait says one thing once.
 *
 * Step numbers shown to people are 1-based; `RolloutStatus.step.index` stays the 0-based plan index
 * (approval events and links carry it), and `index == count` means the plan has run to its end.
 */
import type { Plan, RolloutStatus, Split, Step } from './types';

/** `blue 90%, green 10%`; deployments at 0% are left out; `none` when nothing holds traffic. */
export function formatSplit(split: Split): string {
  const entries = Object.entries(split).filter(([, percent]) => percent !== 0);
  return entries.length === 0 ? 'none' : entries.map(([name, percent]) => `${name} ${percent}%`).join(', ');
}

/** Live traffic, then mirrored traffic when there is any: `blue 100%; mirrored: green 20%`. */
export function formatTraffic(traffic: Split, mirror: Split = {}): string {
  const mirrored = formatSplit(mirror);
  return mirrored === 'none' ? formatSplit(traffic) : `${formatSplit(traffic)}; mirrored: ${mirrored}`;
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

/** The status' view of step `index` of the plan (`index == steps.length`: the plan is done). */
export function stepStatus(plan: Plan, index: number): RolloutStatus['step'] {
  const step = plan.steps[index];
  // No steps yet: the rollout is queued for the endpoint or being planned, not finished.
  const description = step ? describeStep(step) : plan.steps.length === 0 ? 'not planned yet' : 'all steps done';
  return { index, count: plan.steps.length, kind: step?.kind ?? 'none', description };
}

/** `step 3 of 16`, `all 16 steps done`, or `planning` before a plan exists. */
export function stepPosition(step: Pick<RolloutStatus['step'], 'index' | 'count'>): string {
  if (step.count === 0) return 'planning';
  if (step.index >= step.count) return `all ${step.count} steps done`;
  return `step ${step.index + 1} of ${step.count}`;
}

/** `step 3 of 16: bake 5 min, ...`; a finished plan says only that it is done. */
export function describeStepStatus(step: RolloutStatus['step']): string {
  const position = stepPosition(step);
  return step.count === 0 || step.index >= step.count ? position : `${position}: ${step.description}`;
}

/** The whole plan, one numbered line per step (for logs, `--dry-run`, docs). */
export function describePlan(plan: Plan): string {
  const head = `${plan.strategy} rollout of ${plan.model.name}:${plan.model.version} to ${plan.target.endpoint} (${plan.baseline.deployment} -> ${plan.candidate.deployment}), policy ${plan.policyName}`;
  return [head, ...plan.steps.map((s, i) => `  ${i + 1}. ${describeStep(s)}`)].join('\n');
}

const DAY_MS = 24 * 60 * 60 * 1000;

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * `18:24 UTC` when `atMs` falls on the same UTC day as `referenceMs` (the status' last update),
 * else `2026-12-05 18:24 UTC`: short for the usual minutes-away wait, unambiguous for a day-long one.
 */
export function clockTime(atMs: number, referenceMs: number): string {
  const at = new Date(atMs);
  const hhmm = `${twoDigits(at.getUTCHours())}:${twoDigits(at.getUTCMinutes())} UTC`;
  return Math.floor(atMs / DAY_MS) === Math.floor(referenceMs / DAY_MS) ? hhmm : `${at.toISOString().slice(0, 10)} ${hhmm}`;
}

/**
 * What the rollout waits for, in one line: the orchestrator's detail says what ("baking",
 * "approval 'prod'"), the deadline is added once ("baking until 18:24 UTC"). A rollout that has
 * ended, or is rolling back, waits for nothing a person needs to know about.
 */
export function describeWait(status: Pick<RolloutStatus, 'waitingFor' | 'phase' | 'outcome' | 'updatedAtMs'>): string | undefined {
  const wait = status.waitingFor;
  if (!wait || status.phase === 'RollingBack' || (status.outcome !== undefined && status.outcome !== 'failed')) return undefined;
  return wait.untilMs === undefined ? wait.detail : `${wait.detail} until ${clockTime(wait.untilMs, status.updatedAtMs)}`;
}

/**
 * Says that the journal shown is not all of it: the status keeps under its size limit by leaving
 * off the oldest entries (src/plan/status-budget.ts counts them in `journalDropped`). Worded once
 * for the CLI and, through the API's display, the dashboard.
 */
export function describeJournalDropped(dropped: number | undefined): string | undefined {
  if (dropped === undefined || dropped <= 0) return undefined;
  return `${dropped} older ${dropped === 1 ? 'entry' : 'entries'} not shown: the status is size-limited`;
}
