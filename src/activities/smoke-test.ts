/**
 * smokeTest: N direct requests to one deployment (header azureml-model-deployment, which the
 * EndpointControl adapter sets), before it gets any live traffic. A request fails on any answer
 * that is not 2xx (a failing model answers 424, a slow one 408, an overloaded one 429: none of
 * them is a 5xx), on no answer (timeout, connection error) or on an answer from another
 * deployment (routing broken). 401/403 are configuration errors, not a verdict: they throw.
 */
import { RolloutError } from '../errors';
import type { SmokeTestInput, SmokeTestOutput } from '../orchestration/activity-contracts';
import type { ActivityContext } from './context';

const REQUEST_TIMEOUT_MS = 30_000;

function isSuccess(statusCode: number): boolean {
  return statusCode >= 200 && statusCode < 300;
}

export async function smokeTest(ctx: ActivityContext, input: SmokeTestInput): Promise<SmokeTestOutput> {
  const statusCodes: Record<string, number> = {};
  const durations: number[] = [];
  let failures = 0;
  let misrouted = 0;
  const reasons: string[] = [];
  for (let i = 0; i < input.requests; i++) {
    try {
      const result = await ctx.endpointControl.invokeDeployment(input.target, {
        deployment: input.deployment,
        body: input.payload,
        timeoutInMs: REQUEST_TIMEOUT_MS,
      });
      const key = String(result.statusCode);
      statusCodes[key] = (statusCodes[key] ?? 0) + 1;
      durations.push(result.durationMs);
      if (result.statusCode === 401 || result.statusCode === 403) {
        throw new RolloutError(
          result.statusCode === 401 ? 'Unauthorized' : 'Forbidden',
          `smoke test of '${input.deployment}': scoring answered ${result.statusCode}; check the endpoint's auth`,
        );
      }
      if (!isSuccess(result.statusCode)) {
        failures++;
        if (reasons.length < 3) reasons.push(`request ${i + 1}: HTTP ${result.statusCode}`);
      } else if (result.answeredBy !== undefined && result.answeredBy !== input.deployment) {
        failures++;
        misrouted++;
        if (reasons.length < 3) reasons.push(`request ${i + 1}: answered by '${result.answeredBy}'`);
      }
    } catch (error) {
      if (error instanceof RolloutError && !error.retryable) throw error;
      failures++;
      const key = error instanceof RolloutError ? error.code : 'error';
      statusCodes[key] = (statusCodes[key] ?? 0) + 1;
      if (reasons.length < 3) reasons.push(`request ${i + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const sorted = [...durations].sort((a, b) => a - b);
  const latencyP50Ms = sorted.length === 0 ? 0 : (sorted[Math.floor((sorted.length - 1) / 2)] ?? 0);
  const latencyMaxMs = sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0);
  const passed = failures <= input.maxFailures;
  const reason = passed
    ? `${input.requests - failures}/${input.requests} requests answered by '${input.deployment}' (failures ${failures} <= ${input.maxFailures})`
    : `${failures}/${input.requests} requests failed (at most ${input.maxFailures} allowed): ${reasons.join('; ')}`;
  return { passed, requests: input.requests, failures, misrouted, latencyP50Ms, latencyMaxMs, statusCodes, reason };
}
