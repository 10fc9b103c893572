/**
 * One look of a prediction-agreement gate (src/analysis/agreement.ts judges it): every row of the
 * gate's dataset is sent once to the baseline and once to the candidate, each request pinned to
 * its deployment with the azureml-model-deployment header (the EndpointControl adapter sets it).
 * Requests go one after another, baseline first, so a slow model is never flooded by the check.
 * An answer from another deployment than the one asked for is no answer (routing broken); 401/403
 * are configuration errors, not a verdict: they throw, and checkGates reports the gate misconfigured.
 */
import { agreementGateResult, type AgreementAnswer, type AgreementPair } from '../analysis/agreement';
import type { AgreementSpec, GateResult, GateSpec } from '../analysis/types';
import { RolloutError } from '../errors';
import type { EndpointRef } from '../ports';
import type { ActivityContext } from './context';

const REQUEST_TIMEOUT_MS = 30_000;

async function ask(ctx: ActivityContext, target: EndpointRef, deployment: string, body: unknown): Promise<AgreementAnswer> {
  try {
    const result = await ctx.endpointControl.invokeDeployment(target, { deployment, body, timeoutInMs: REQUEST_TIMEOUT_MS });
    if (result.statusCode === 401 || result.statusCode === 403) {
      throw new RolloutError(
        result.statusCode === 401 ? 'Unauthorized' : 'Forbidden',
        `scoring '${deployment}' answered ${result.statusCode}; check the endpoint's auth`,
      );
    }
    if (result.statusCode < 200 || result.statusCode >= 300) return { ok: false, detail: `HTTP ${result.statusCode}` };
    if (result.answeredBy !== undefined && result.answeredBy !== deployment)
      return { ok: false, detail: `answered by '${result.answeredBy}'` };
    return { ok: true, body: result.body };
  } catch (error) {
    if (error instanceof RolloutError && !error.retryable) throw error;
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

export async function predictionAgreementLook(
  ctx: ActivityContext,
  spec: GateSpec & { readonly agreement: AgreementSpec },
  input: {
    readonly target: EndpointRef;
    readonly baseline: string;
    readonly candidate: string;
    readonly nowMs: number;
    readonly look: number;
  },
): Promise<GateResult> {
  const pairs: AgreementPair[] = [];
  for (const row of spec.agreement.rows) {
    const baseline = await ask(ctx, input.target, input.baseline, row);
    const candidate = await ask(ctx, input.target, input.candidate, row);
    pairs.push({ baseline, candidate });
  }
  return agreementGateResult(spec, pairs, {
    candidate: input.candidate,
    baseline: input.baseline,
    look: input.look,
    checkedAtMs: input.nowMs,
  });
}
