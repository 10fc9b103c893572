/**
 * No policy setting may let a rollout wait for data (or for a person) forever (issue 10, defect
 * 10b). The waits that renew themselves have a bound here, with the default a policy gets when it
 * does not set one (documented in docs/policy.md); the decider's rule at the bound is the policy's
 * safe answer: roll back.
 *
 * Waits with a fixed end are bounded by their own setting: a bake's duration plus
 * `maxExtensionMinutes` (at most a day, the policy schema), an adaptive bake's `maxBakeMinutes`, an
 * approval's `timeoutMinutes`, a no-data approval's timeout (always rollback), the A/B test's
 * `maxDurationMinutes`.
 */
import type { Step } from '../plan/types';
import type { StepResult } from './decider';
import type { StepProgress } from './engine-state';

/** noData `extend`: how often a step's window restarts waiting for data when the policy does not say. */
export const DEFAULT_MAX_NO_DATA_EXTENSIONS = 3;
/** onTimeout `remind`: how many reminders are sent when the policy does not say. */
export const DEFAULT_MAX_REMINDERS = 5;

/**
 * Before a no-data `extend` restarts the step's window: undefined while extensions are left, else
 * the step's end (a rollback with the reason).
 */
export function noDataExtensionLimit(done: number, step: Step | undefined, why: string): StepResult | undefined {
  const limit =
    (step?.kind === 'bake' || step?.kind === 'gate') && step.maxNoDataExtensions !== undefined
      ? step.maxNoDataExtensions
      : DEFAULT_MAX_NO_DATA_EXTENSIONS;
  if (done < limit) return undefined;
  return { kind: 'rollback', outcome: 'rolledBack', reason: `no data after ${limit} extension${limit === 1 ? '' : 's'} (${why})` };
}

/** Before another reminder of an approval with onTimeout `remind`: undefined while reminders are left, else a rollback. */
export function reminderLimit(
  sent: number,
  approval: { readonly name: string; readonly maxReminders?: number | undefined },
): StepResult | undefined {
  const limit = approval.maxReminders ?? DEFAULT_MAX_REMINDERS;
  if (sent < limit) return undefined;
  return {
    kind: 'rollback',
    outcome: 'rolledBack',
    reason: `approval '${approval.name}' got no decision after ${limit} reminder${limit === 1 ? '' : 's'}`,
  };
}

/**
 * A no-data `extend`: past the plan's limit, the step's end (a rollback with the reason);
 * otherwise the extension is counted and the step's window restarts now (its clock too).
 */
export function extendForNoData(progress: StepProgress, step: Step | undefined, nowMs: number, why: string): StepResult | undefined {
  const bound = noDataExtensionLimit(progress.noDataExtensions ?? 0, step, why);
  if (bound) return bound;
  progress.noDataExtensions = (progress.noDataExtensions ?? 0) + 1;
  progress.startedAtMs = nowMs;
  progress.pausedMs = 0;
  return undefined;
}
