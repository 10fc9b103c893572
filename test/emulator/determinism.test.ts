import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoWorld, createEmulator, type Emulator } from '../../src/harness/emulator';
import { ManualClock, armFetch, deploymentBody, workspacePath } from './helpers';

const started: Emulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((em) => em.stop()));
});

function digest(em: Emulator): string {
  const hash = createHash('sha256');
  for (let i = 0; i < em.log.length; i++) hash.update(JSON.stringify(em.log.row(i)));
  return hash.digest('hex');
}

/** One scripted session: a canary deployment, a traffic change, scoring calls, with the clock advanced in `stepMinutes`. */
async function session(
  seed: number,
  stepMinutes: number,
): Promise<{ digest: string; rows: number; served: unknown; keys: unknown; operations: string[] }> {
  const clock = new ManualClock();
  const em = createEmulator({
    clock,
    seed,
    world: createDemoWorld({
      versions: ['1', '2'],
      requestsPerMinute: 200,
      behavior: { 'credit-model:2': { errorRate: 0.05, latencyMs: { p50: 50, p95: 150 } } },
    }),
  });
  await em.start();
  started.push(em);
  const advance = (minutes: number): void => {
    for (let done = 0; done < minutes; done += stepMinutes) {
      clock.advanceMinutes(Math.min(stepMinutes, minutes - done));
      em.advance();
    }
  };
  const endpoint = `${workspacePath(em)}/onlineEndpoints/credit-scoring`;
  await armFetch(em, 'PUT', `${endpoint}/deployments/green`, deploymentBody(em, 'credit-model', '2'));
  advance(12);
  const current = await armFetch(em, 'GET', endpoint, undefined, '2024-04-01');
  await armFetch(
    em,
    'PUT',
    endpoint,
    { ...current.body, properties: { ...current.body.properties, traffic: { blue: 90, green: 10 }, mirrorTraffic: {} } },
    '2024-04-01',
  );
  advance(6);
  for (let i = 0; i < 20; i++) {
    await fetch(em.scoringUri('credit-scoring'), {
      method: 'POST',
      headers: { Authorization: `Bearer ${em.endpointKeys('credit-scoring').primaryKey}`, 'User-Agent': 'determinism' },
      body: '{}',
    });
  }
  advance(12);
  return {
    digest: digest(em),
    rows: em.log.length,
    served: em.servedCountsByKind(),
    keys: em.endpointKeys('credit-scoring'),
    operations: [...em.state.operations.keys()],
  };
}

describe('determinism', () => {
  it('gives identical rows, counts, keys and operation ids for the same seed, however the clock was advanced', async () => {
    const once = await session(42, 30);
    const minuteByMinute = await session(42, 1);
    expect(once.rows).toBe(30 * 200 + 20);
    expect(minuteByMinute).toEqual(once);
  });

  it('differs for another seed', async () => {
    const a = await session(42, 30);
    const b = await session(43, 30);
    expect(b.rows).toBe(a.rows);
    expect(b.digest).not.toBe(a.digest);
    expect(b.keys).not.toEqual(a.keys);
  });
});
