/**
 * The smoke test's verdict per answer: any answer that is not 2xx is a failure (a failing model
 * answers 424, a slow one 408, an overloaded one 429 in Azure: none of them is a 5xx).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActivityContext } from '../../src/activities/context';
import { smokeTest } from '../../src/activities/smoke-test';
import type { EndpointRef, InvokeResult } from '../../src/ports';

const target: EndpointRef = { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', endpoint: 'credit-scoring' };

/** A context whose only port in use answers the scripted status codes in turn. */
function answering(codes: readonly number[]): ActivityContext {
  let call = 0;
  const endpointControl = {
    invokeDeployment: async (): Promise<InvokeResult> => ({
      statusCode: codes[call++ % codes.length] ?? 200,
      durationMs: 10,
      body: {},
      answeredBy: 'green',
    }),
  };
  return { endpointControl } as unknown as ActivityContext;
}

const run = (codes: readonly number[], maxFailures = 0) =>
  smokeTest(answering(codes), { target, deployment: 'green', requests: codes.length, maxFailures, payload: {} });

describe('smokeTest verdict per status code', () => {
  it.each([
    [200, true],
    [201, true],
    [204, true],
    [299, true],
    [300, false],
    [400, false],
    [404, false],
    [408, false],
    [424, false],
    [429, false],
    [500, false],
    [502, false],
    [503, false],
  ])('a deployment answering %i passes: %s', async (code, passes) => {
    const out = await run([code, code, code]);
    expect(out.passed).toBe(passes);
    expect(out.failures).toBe(passes ? 0 : 3);
    expect(out.statusCodes).toEqual({ [String(code)]: 3 });
  });

  it('counts exactly the non-2xx answers, for any sequence of codes', async () => {
    const code = fc.constantFrom(200, 202, 400, 404, 408, 424, 429, 500, 503);
    await fc.assert(
      fc.asyncProperty(fc.array(code, { minLength: 1, maxLength: 20 }), fc.nat(5), async (codes, maxFailures) => {
        const out = await run(codes, maxFailures);
        const failing = codes.filter((c) => c < 200 || c >= 300).length;
        expect(out.failures).toBe(failing);
        expect(out.passed).toBe(failing <= maxFailures);
      }),
      { numRuns: 100, seed: 9 },
    );
  });

  it('names the failing answers in the reason', async () => {
    const out = await run([200, 424, 408]);
    expect(out.reason).toMatch(/2\/3 requests failed \(at most 0 allowed\): request 2: HTTP 424; request 3: HTTP 408/);
  });

  it('throws on 401 and 403 (configuration, not a verdict)', async () => {
    await expect(run([401])).rejects.toThrow(/scoring answered 401/);
    await expect(run([403])).rejects.toThrow(/scoring answered 403/);
  });
});
