/**
 * The `failed` notification of a failed rollback says that the rollback is retried automatically,
 * when the next attempt is and when the retries stop (docs/orchestration.md, "retry"); a rollout
 * that failed otherwise still says an operator can retry or abort it.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/orchestration/decider';
import { FAILED_RETRY_WINDOW_MINUTES } from '../../src/orchestration/engine-state';
import { buildRolloutNotification } from '../../src/notify/message';
import type { RolloutStatus } from '../../src/plan/types';
import { plannedState } from '../orchestration/engine-fixture';
import { statusOf } from '../api/fakes';

const MINUTE = 60_000;
const NOW = 1_700_000_000_000;
const OPTIONS = { publicBaseUrl: 'https://ctl.example', linkSecret: undefined, linkTtlMinutes: 60, nowMs: NOW };
const iso = (ms: number): string => new Date(ms).toISOString();

function failedNotification(status: RolloutStatus) {
  return buildRolloutNotification({ kind: 'failed', status }, OPTIONS);
}

const failedStatus = (over: Partial<RolloutStatus>): RolloutStatus =>
  statusOf({ phase: 'Failed', outcome: 'failed', reason: 'rollback failed: ARM 409', ...over });

describe('the failed notification of a failed rollback', () => {
  const windowEnd = NOW + 24 * 60 * MINUTE;
  const resume = (untilMs: number) => ({ kind: 'resume' as const, untilMs, detail: 'failed rollback: retried automatically' });

  it.each([
    {
      name: 'the next attempt is inside the window',
      status: failedStatus({
        retrying: { step: 2, failures: 1, error: 'ARM 409', nextAttemptAtMs: NOW + 5 * MINUTE },
        waitingFor: resume(windowEnd),
      }),
      fact: `the rollback, automatically (1 failed attempt(s)): attempt 2 at ${iso(NOW + 5 * MINUTE)}; retries stop at ${iso(windowEnd)}, then the rollout ends Failed`,
      summaryEnd: `The rollback is retried automatically until ${iso(windowEnd)}; an operator can retry it now or abort.`,
    },
    {
      name: 'the back-off reaches past the window',
      status: failedStatus({
        retrying: { step: 2, failures: 9, error: 'ARM 409', nextAttemptAtMs: windowEnd + MINUTE },
        waitingFor: resume(windowEnd),
      }),
      fact: `the rollback, automatically (9 failed attempt(s)): no attempt is left before the window ends; retries stop at ${iso(windowEnd)}, then the rollout ends Failed`,
      summaryEnd: `The rollback is retried automatically until ${iso(windowEnd)}; an operator can retry it now or abort.`,
    },
    {
      name: 'a step failed (nothing is retried by itself)',
      status: failedStatus({ reason: 'createDeployment failed: quota', waitingFor: resume(windowEnd) }),
      fact: undefined,
      summaryEnd: 'An operator can retry or abort it.',
    },
  ])('$name', ({ status, fact, summaryEnd }) => {
    const message = failedNotification(status);
    expect(message.facts['Retrying']).toBe(fact);
    expect(message.summary.endsWith(summaryEnd)).toBe(true);
    expect(message.summary).toContain(status.reason);
  });

  it('says it for the status the decider publishes at the first failure of a rollback', () => {
    const rollingBack = plannedState();
    rollingBack.mode = 'rollback';
    rollingBack.status.phase = 'RollingBack';
    rollingBack.facts.candidateCreated = true;
    rollingBack.pending = { outcome: 'rolledBack', reason: 'gate errors failed' };
    const at = 60 * MINUTE;
    const { state, commands } = decide(rollingBack, { kind: 'rollbackFailed', reason: 'ARM 409', atMs: at });
    expect(commands.map((c) => c.kind)).toContain('finish');
    const retrying = state.status.retrying;
    expect(retrying).toBeDefined();
    const message = failedNotification(state.status);
    const end = iso(at + FAILED_RETRY_WINDOW_MINUTES * MINUTE);
    expect(message.facts['Retrying']).toBe(
      `the rollback, automatically (1 failed attempt(s)): attempt 2 at ${iso(retrying!.nextAttemptAtMs)}; retries stop at ${end}, then the rollout ends Failed`,
    );
    expect(message.summary).toContain(`retried automatically until ${end}`);
  });
});
