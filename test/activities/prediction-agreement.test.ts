/**
 * The prediction-agreement gate against the emulator, end to end: checkGates sends the dataset to
 * both deployments through the real EndpointControl adapter (the azureml-model-deployment header),
 * the emulator answers with per-version predictions, and the analysis judges the answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGates } from '../../src/activities/check-gates';
import { createActivityContext } from '../../src/activities/context';
import type { AgreementSpec, GateSpec } from '../../src/analysis/types';
import { createAzurePorts } from '../../src/azure';
import { loadSettings } from '../../src/config';
import { createDemoWorld, createEmulator, type Emulator } from '../../src/harness/emulator';
import type { Notifier } from '../../src/ports';
import { armFetch, deployGreenAndSplit, deploymentBody, ManualClock, workspacePath } from '../emulator/helpers';

/** armFetch's token (test/emulator/helpers.ts). */
const TOKEN = 'emulator-token';
const ROWS = 200;

function gate(agreement: Partial<AgreementSpec> = {}): GateSpec {
  return {
    name: 'predictionAgreement',
    checks: [],
    customMetrics: [],
    confidence: 0.95,
    minRequestsPerDeployment: ROWS,
    windowMinutes: 1,
    ingestionDelayMinutes: 0,
    plannedLooks: 1,
    agreement: {
      rows: Array.from({ length: ROWS }, (_, i) => ({ applicant: i, income: 1000 + 17 * i })),
      predictionPath: '$.label',
      compare: { kind: 'label' },
      minAgreement: 0.95,
      minComparedRows: ROWS,
      maxExamples: 3,
      ...agreement,
    },
  };
}

describe('prediction agreement against the emulator', () => {
  let em: Emulator;
  let clock: ManualClock;
  let ctx: ReturnType<typeof createActivityContext>;
  const target = { subscriptionId: '', resourceGroup: '', workspace: '', endpoint: 'credit-scoring' };

  beforeAll(async () => {
    clock = new ManualClock();
    em = createEmulator({
      clock,
      seed: 3,
      token: TOKEN,
      world: createDemoWorld({
        versions: ['1', '2', '3'],
        requestsPerMinute: 0,
        behavior: { 'credit-model:2': { predictions: { flipRate: 0.15 } }, 'credit-model:3': { predictions: { scoreOffset: 0.02 } } },
      }),
    });
    await em.start();
    await deployGreenAndSplit(em, clock, { blue: 100, green: 0 });
    // teal serves credit-model:3, whose scores are 0.02 above the reference's.
    clock.advanceMinutes(2);
    const teal = await armFetch(
      em,
      'PUT',
      `${workspacePath(em)}/onlineEndpoints/credit-scoring/deployments/teal`,
      deploymentBody(em, 'credit-model', '3'),
    );
    expect(teal.status, JSON.stringify(teal.body)).toBe(201);
    clock.advanceMinutes(10);
    const settings = loadSettings({ ARM_ENDPOINT: em.url, LOGS_ENDPOINT: em.url, METRICS_ENDPOINT: em.url, EMULATOR_TOKEN: TOKEN });
    const ports = createAzurePorts(settings, { clock, random: () => 0.5, requestTimeoutMs: 10_000 });
    ctx = createActivityContext({ ...ports, notifier: {} as Notifier, clock });
    Object.assign(target, {
      subscriptionId: em.coords.subscriptionId,
      resourceGroup: em.coords.resourceGroup,
      workspace: em.coords.workspace,
    });
  });
  afterAll(async () => {
    await em.stop();
  });

  const look = async (spec: GateSpec, candidate = 'green') => {
    const out = await checkGates(ctx, {
      target,
      gates: [spec],
      baseline: 'blue',
      candidate,
      nowMs: clock.now(),
      looks: { [spec.name]: 1 },
    });
    const outcome = out.outcomes[0];
    if (!outcome?.result) throw new Error(`no result: ${JSON.stringify(outcome)}`);
    return outcome.result;
  };

  it('a version answering the other label on 15% of inputs fails a 95% agreement gate, with examples', async () => {
    const result = await look(gate());
    expect(result.verdict).toBe('fail');
    const a = result.agreement!;
    expect(a.rows).toBe(ROWS);
    expect(a.compared).toBe(ROWS);
    // The flip draw is a hash of each input: about 15% of 200 rows, well away from the 5% allowed.
    expect(a.disagreed / ROWS).toBeGreaterThan(0.09);
    expect(a.disagreed / ROWS).toBeLessThan(0.21);
    expect(a.examples).toHaveLength(3);
    for (const e of a.examples) expect(e.baseline).not.toBe(e.candidate);
    expect(result.evidence[0]).toMatchObject({ metric: 'predictionAgreement', verdict: 'fail' });
  });

  it('the same inputs get the same answers: a second look sees the same disagreements', async () => {
    const first = (await look(gate())).agreement!;
    const second = (await look(gate())).agreement!;
    expect(second.disagreed).toBe(first.disagreed);
    expect(second.examples).toEqual(first.examples);
  });

  it('the live deployment agrees with itself', async () => {
    const result = await look(gate(), 'blue');
    expect(result.verdict).toBe('pass');
    expect(result.agreement?.agreementRate).toBe(1);
  });

  it.each([
    [0.05, 'pass'],
    [0.01, 'fail'],
  ] as const)('numeric: a score drift of 0.02 against an absolute tolerance of %d: %s', async (absoluteTolerance, verdict) => {
    const result = await look(
      gate({ predictionPath: '$.prediction', compare: { kind: 'numeric', absoluteTolerance, relativeTolerance: 0 } }),
      'teal',
    );
    expect(result.verdict, JSON.stringify(result.agreement)).toBe(verdict);
    expect(result.agreement?.meanAbsoluteDifference).toBeCloseTo(0.02, 6);
  });

  it('a deployment that does not exist answers nothing: inconclusive, every row unanswered', async () => {
    const result = await look(gate(), 'ghost');
    expect(result.verdict).toBe('inconclusive');
    expect(result.agreement).toMatchObject({ compared: 0, unanswered: ROWS });
  });
});
