/**
 * Where a person sees the prediction-agreement evidence: the CLI's status, the API's display (the
 * dashboard's gate table), notifications, and the tags written onto the model version.
 */
import { describe, expect, it } from 'vitest';
import { writeModelVerdict } from '../../src/activities/model-verdict';
import type { ActivityContext } from '../../src/activities/context';
import { agreementGateResult, type AgreementPair } from '../../src/analysis/agreement';
import { agreementHeadline } from '../../src/analysis/describe';
import type { GateResult, GateSpec } from '../../src/analysis/types';
import { displayOf } from '../../src/api/status-view';
import { renderStatus } from '../../src/cli/render';
import { buildRolloutNotification, evidenceLines } from '../../src/notify/message';
import type { ModelVersionRef } from '../../src/ports';
import { statusOf } from '../api/fakes';

const spec: GateSpec & { agreement: NonNullable<GateSpec['agreement']> } = {
  name: 'predictionAgreement',
  checks: [],
  customMetrics: [],
  confidence: 0.95,
  minRequestsPerDeployment: 4,
  windowMinutes: 1,
  ingestionDelayMinutes: 0,
  plannedLooks: 1,
  agreement: {
    rows: [{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }],
    predictionPath: '$.label',
    compare: { kind: 'label' },
    minAgreement: 0.9,
    minComparedRows: 4,
    maxExamples: 5,
  },
};
const pairs: AgreementPair[] = [
  { baseline: { ok: true, body: { label: 'approve' } }, candidate: { ok: true, body: { label: 'approve' } } },
  { baseline: { ok: true, body: { label: 'approve' } }, candidate: { ok: true, body: { label: 'decline' } } },
  { baseline: { ok: true, body: { label: 'decline' } }, candidate: { ok: true, body: { label: 'decline' } } },
  { baseline: { ok: true, body: { label: 'decline' } }, candidate: { ok: true, body: { label: 'decline' } } },
];
const look: GateResult = agreementGateResult(spec, pairs, {
  candidate: 'green',
  baseline: 'blue',
  look: 1,
  checkedAtMs: Date.UTC(2026, 0, 1),
});
const laterHealthLook: GateResult = {
  ...look,
  gate: 'health',
  look: 3,
  agreement: undefined,
  evidence: [],
  reason: 'all checks pass',
  verdict: 'pass',
} as GateResult;
const EXAMPLE = 'row 1: baseline "approve", candidate "decline"; input {"a":2}';

describe('prediction-agreement evidence', () => {
  it('the look fails at 75% against 90%, with the disagreeing row quoted', () => {
    expect(look.verdict).toBe('fail');
    expect(agreementHeadline(look)).toBe('fail: 75% agree (3/4 rows compared of 4; at least 90% required)');
  });

  it('CLI status shows it in its own section, even after later gate checks replaced the gate rows', () => {
    const text = renderStatus({
      rolloutId: 'r1',
      runtimeStatus: 'Running',
      phase: 'Baking',
      createdAt: '',
      updatedAt: '',
      input: null,
      allowedActions: [],
      history: [],
      timeSpent: [],
      status: statusOf({ gates: [laterHealthLook], predictionAgreement: look }),
    });
    expect(text).toContain('Prediction agreement');
    expect(text).toContain('75% agree (3/4 rows compared of 4');
    expect(text).toContain(EXAMPLE);
  });

  it("the API display (the dashboard's gate table) keeps the agreement look, with its notes, next to later looks", () => {
    const display = displayOf(statusOf({ gates: [laterHealthLook], predictionAgreement: look }))!;
    expect(display.gates.map((g) => g.gate)).toEqual(['predictionAgreement', 'health']);
    expect(display.gates[0]?.rows[0]).toMatchObject({ metric: 'predictionAgreement', verdict: 'fail', threshold: '>= 90%' });
    expect(display.gates[0]?.notes).toContain(EXAMPLE);
    // Not listed twice while it is the current look.
    expect(displayOf(statusOf({ gates: [look], predictionAgreement: look }))!.gates).toHaveLength(1);
  });

  it('notifications carry the counts and examples in the evidence, and the headline as a fact', () => {
    expect(evidenceLines([look])).toContain(`  ${EXAMPLE}`);
    const message = buildRolloutNotification(
      { kind: 'rolledBack', status: statusOf({ gates: [look], predictionAgreement: look, reason: 'gate failed' }) },
      { publicBaseUrl: 'http://x', linkSecret: undefined, linkTtlMinutes: 60, nowMs: 0 },
    );
    expect(message.facts['Prediction agreement']).toBe(agreementHeadline(look));
    expect(message.gates).toContain(look);
  });

  it('the verdict tags on the model version include the agreement headline', async () => {
    const written: Record<string, string> = {};
    const ctx = {
      retry: (_: string, fn: () => Promise<unknown>) => fn(),
      modelRegistry: {
        updateModelVersionTags: async (_ref: ModelVersionRef, tags: Record<string, string>) => Object.assign(written, tags),
        getModelVersion: async () => ({ tags: written }),
      },
    } as unknown as ActivityContext;
    const model = { subscriptionId: 's', resourceGroup: 'g', workspace: 'w', model: 'credit-model', version: '2' };
    const out = await writeModelVerdict(ctx, {
      model,
      rolloutId: 'r1',
      outcome: 'rolledBack',
      reason: 'gate failed',
      atMs: 0,
      predictionAgreement: agreementHeadline(look),
    });
    expect(out.tags['rollout-prediction-agreement']).toBe(agreementHeadline(look));
    const without = await writeModelVerdict(ctx, { model, rolloutId: 'r1', outcome: 'promoted', reason: 'ok', atMs: 0 });
    expect(without.tags).not.toHaveProperty('rollout-prediction-agreement');
  });
});
