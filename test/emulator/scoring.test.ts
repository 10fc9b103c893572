import { afterEach, describe, expect, it } from 'vitest';
import { createDemoWorld, createEmulator, type Emulator } from '../../src/harness/emulator';
import { ManualClock, armFetch, deploymentBody, workspacePath } from './helpers';

const started: Emulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((em) => em.stop()));
});

/** blue (credit-model:1) and green (credit-model:2) both Succeeded, with this traffic and mirror. */
async function world(
  traffic: Record<string, number>,
  mirrorTraffic: Record<string, number> = {},
  behavior: Record<string, object> = {},
): Promise<{ em: Emulator; clock: ManualClock }> {
  const clock = new ManualClock();
  const em = createEmulator({ clock, seed: 5, world: createDemoWorld({ versions: ['1', '2'], requestsPerMinute: 0, behavior }) });
  await em.start();
  started.push(em);
  const endpoint = `${workspacePath(em)}/onlineEndpoints/credit-scoring`;
  expect((await armFetch(em, 'PUT', `${endpoint}/deployments/green`, deploymentBody(em, 'credit-model', '2'))).status).toBe(201);
  clock.advanceMinutes(10);
  const current = await armFetch(em, 'GET', endpoint, undefined, '2024-04-01');
  const put = await armFetch(
    em,
    'PUT',
    endpoint,
    { ...current.body, properties: { ...current.body.properties, traffic, mirrorTraffic } },
    '2024-04-01',
  );
  expect(put.status).toBe(200);
  clock.advanceMinutes(1);
  return { em, clock };
}

async function score(
  em: Emulator,
  options: { pinned?: string; key?: string } = {},
): Promise<{ status: number; deployment: string | null; headers: Headers; body: any }> {
  const response = await fetch(em.scoringUri('credit-scoring'), {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${options.key ?? em.endpointKeys('credit-scoring').primaryKey}`,
      'Content-Type': 'application/json',
      ...(options.pinned ? { 'azureml-model-deployment': options.pinned } : {}),
    },
    body: JSON.stringify({ data: [[1, 2, 3]] }),
  });
  return {
    status: response.status,
    deployment: response.headers.get('azureml-model-deployment'),
    headers: response.headers,
    body: await response.json(),
  };
}

function rowsBy(em: Emulator): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < em.log.length; i++) {
    const d = em.log.detail(i);
    counts[`${d.kind}:${d.deployment}`] = (counts[`${d.kind}:${d.deployment}`] ?? 0) + 1;
  }
  return counts;
}

describe('scoring URI', () => {
  it('routes requests by the live traffic split and names who answered', async () => {
    const { em } = await world({ blue: 80, green: 20 });
    const answered: Record<string, number> = {};
    for (let i = 0; i < 600; i++) {
      const answer = await score(em);
      expect(answer.status === 200 || answer.status === 500).toBe(true);
      answered[answer.deployment ?? 'none'] = (answered[answer.deployment ?? 'none'] ?? 0) + 1;
      if (answer.status === 200) {
        expect(answer.body.deployment).toBe(answer.deployment);
        expect(answer.body.model).toBe('credit-model');
        expect(answer.body.version).toBe(answer.deployment === 'blue' ? '1' : '2');
        expect(typeof answer.body.prediction).toBe('number');
      }
    }
    // 20% of 600 is 120; three standard deviations of the binomial are about 30.
    expect(answered['green'] ?? 0).toBeGreaterThan(90);
    expect(answered['green'] ?? 0).toBeLessThan(150);
    expect((answered['blue'] ?? 0) + (answered['green'] ?? 0)).toBe(600);
    expect(em.counters.scoringRequests).toBe(600);
    const served = em.servedCounts();
    expect((served['credit-model:1']?.total ?? 0) + (served['credit-model:2']?.total ?? 0)).toBe(600);
  });

  it('copies mirrored requests to the mirror deployment; users are answered by the live one', async () => {
    const { em } = await world({ blue: 100 }, { green: 20 });
    for (let i = 0; i < 600; i++) expect((await score(em)).deployment).toBe('blue');
    const rows = rowsBy(em);
    expect(rows['live:blue']).toBe(600);
    expect(rows['mirror:green'] ?? 0).toBeGreaterThan(90);
    expect(rows['mirror:green'] ?? 0).toBeLessThan(150);
    const byKind = em.servedCountsByKind();
    expect(byKind['credit-model:2']?.mirror.total).toBe(rows['mirror:green']);
    expect(byKind['credit-model:2']?.live.total).toBe(0);
    expect(em.servedCounts()['credit-model:2']?.total ?? 0).toBe(0);
  });

  it('sends pinned requests to the named deployment and never mirrors them', async () => {
    const { em } = await world({ blue: 100 }, { green: 50 });
    for (let i = 0; i < 50; i++) expect((await score(em, { pinned: 'green' })).deployment).toBe('green');
    for (let i = 0; i < 50; i++) expect((await score(em, { pinned: 'blue' })).deployment).toBe('blue');
    expect(rowsBy(em)).toEqual({ 'pinned:green': 50, 'pinned:blue': 50 });
    const unknown = await score(em, { pinned: 'ghost' });
    expect(unknown.status).toBe(404);
  });

  it('fails pinned (smoke test) requests by the error rate too, as a real container does', async () => {
    const { em } = await world({ blue: 100 }, {}, { 'credit-model:2': { errorRate: 1 } });
    for (let i = 0; i < 10; i++) {
      const answer = await score(em, { pinned: 'green' });
      expect(answer.status).toBe(424);
      expect(answer.headers.get('ms-azureml-model-error-statuscode')).toBe('500');
    }
    expect(em.servedCountsByKind()['credit-model:2']?.pinned).toEqual({ total: 10, errors: 10 });
  });

  it('fails pinned (smoke test) requests of a smokeTestFails version with 424, but not its routed traffic', async () => {
    const { em } = await world({ blue: 50, green: 50 }, {}, { 'credit-model:2': { errorRate: 0, smokeTestFails: true } });
    for (let i = 0; i < 10; i++) {
      const answer = await score(em, { pinned: 'green' });
      expect(answer.status).toBe(424);
      expect(answer.deployment).toBe('green');
    }
    let greenOk = 0;
    for (let i = 0; i < 100; i++) {
      const answer = await score(em);
      if (answer.deployment === 'green') {
        expect(answer.status).toBe(200);
        greenOk++;
      }
    }
    expect(greenOk).toBeGreaterThan(0);
    expect(em.servedCountsByKind()['credit-model:2']?.pinned).toEqual({ total: 10, errors: 10 });
  });

  it("answers model errors with 424 (ModelStatusCode the container's 500), by the behaviour and its changes over time", async () => {
    const { em, clock } = await world({ blue: 100 }, {}, { 'credit-model:1': { errorRate: 0, changes: [{ atMinute: 20, errorRate: 1 }] } });
    for (let i = 0; i < 20; i++) expect((await score(em)).status).toBe(200);
    clock.advanceMinutes(10); // minute 21
    for (let i = 0; i < 20; i++) expect((await score(em)).status).toBe(424);
    expect(em.servedCounts()['credit-model:1']).toEqual({ total: 40, errors: 20 });
    const rows = [...Array(em.log.length).keys()].map((i) => em.log.row(i)).filter((r) => r['ResponseCode'] === 424);
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r['ModelStatusCode'] === 500 && r['ResponseCodeReason'] === 'Failed Dependency')).toBe(true);
  });

  it("answers 408 when the model runs past the deployment's requestSettings.requestTimeout (default PT5S)", async () => {
    const { em, clock } = await world(
      { blue: 100 },
      {},
      { 'credit-model:1': { latencyMs: { p50: 8000, p95: 9000 } }, 'credit-model:2': { latencyMs: { p50: 1500, p95: 1600 } } },
    );
    const endpoint = `${workspacePath(em)}/onlineEndpoints/credit-scoring`;
    // blue keeps the default 5 s: an 8 s model times out at 5 s.
    const slow = await score(em, { pinned: 'blue' });
    expect(slow.status).toBe(408);
    // green with requestTimeout PT1S: a 1.5 s model times out at 1 s.
    const body = deploymentBody(em, 'credit-model', '2');
    body.properties.requestSettings = { requestTimeout: 'PT1S' };
    expect((await score(em, { pinned: 'green' })).status).toBe(200);
    expect((await armFetch(em, 'PUT', `${endpoint}/deployments/green`, body)).status).toBe(200);
    clock.advanceMinutes(5); // the update completes
    expect((await score(em, { pinned: 'green' })).status).toBe(408);
    const rows = () => [...Array(em.log.length).keys()].map((i) => em.log.row(i));
    expect(
      rows()
        .filter((r) => r['ResponseCode'] === 408)
        .map((r) => [r['TotalDurationMs'], r['ModelStatusCode']]),
    ).toEqual([
      [5000, 0],
      [1000, 0],
    ]);
  });

  it.each([
    ['a requestTimeout that is not a duration', { requestTimeout: '5 seconds' }, /requestSettings\.requestTimeout/],
    ['a requestTimeout above 180 s', { requestTimeout: 'PT181S' }, /at most PT180S/],
    [
      'a maxConcurrentRequestsPerInstance of 0',
      { maxConcurrentRequestsPerInstance: 0 },
      /maxConcurrentRequestsPerInstance must be a positive integer/,
    ],
  ])('refuses a deployment with %s, naming the field', async (_name, requestSettings, message) => {
    const { em } = await world({ blue: 100 });
    const body = deploymentBody(em, 'credit-model', '2');
    body.properties.requestSettings = requestSettings;
    const answer = await armFetch(em, 'PUT', `${workspacePath(em)}/onlineEndpoints/credit-scoring/deployments/red`, body);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toMatch(message);
  });

  it('answers 429 beyond 2 x maxConcurrentRequestsPerInstance x instances pending requests, and never holds more', async () => {
    const clock = new ManualClock();
    // blue: 2 instances, maxConcurrentRequestsPerInstance 1 -> at most 4 pending; 600 requests a
    // minute (one per 100 ms) of about 1 s each would need about 10.
    const em = createEmulator({
      clock,
      seed: 3,
      world: createDemoWorld({ requestsPerMinute: 600, behavior: { 'credit-model:1': { latencyMs: { p50: 1000, p95: 1400 } } } }),
    });
    await em.start();
    started.push(em);
    clock.advanceMinutes(5);
    em.advance();
    const rows = [...Array(em.log.length).keys()].map((i) => em.log.row(i));
    const rejected = rows.filter((r) => r['ResponseCode'] === 429);
    expect(rejected.length).toBeGreaterThan(rows.length / 3);
    expect(rejected.every((r) => r['ModelStatusCode'] === 0)).toBe(true);
    const accepted = rows
      .filter((r) => r['ResponseCode'] !== 429)
      .map((r) => ({ start: r['TimeGenerated'] as number, end: (r['TimeGenerated'] as number) + (r['TotalDurationMs'] as number) }));
    for (const row of rows) {
      const t = row['TimeGenerated'] as number;
      const pending = accepted.filter((a) => a.start < t && a.end > t).length;
      if (row['ResponseCode'] === 429) expect(pending).toBeGreaterThanOrEqual(4);
      else expect(pending).toBeLessThan(4);
    }
  });

  it('requires the endpoint key, and answers 404 with no deployment to route to', async () => {
    const { em } = await world({ blue: 0, green: 0 });
    const denied = await score(em, { key: 'wrong' });
    expect(denied.status).toBe(401);
    expect(em.log.length).toBe(0);
    const answer = await score(em, { key: em.endpointKeys('credit-scoring').secondaryKey });
    expect(answer.status).toBe(404);
    expect(answer.body.message).toContain('No valid deployments to route to');
    const missing = await fetch(`${em.url}/score/nope`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
  });
});

describe('traffic generator', () => {
  it('makes requests at the scheduled rate through the same routing, lazily for elapsed virtual time', async () => {
    const clock = new ManualClock();
    const em = createEmulator({
      clock,
      seed: 9,
      world: createDemoWorld({ requestsPerMinute: 0 }),
    });
    started.push(em);
    em.setTraffic('credit-scoring', {
      requestsPerMinute: [
        { fromMinute: 0, requestsPerMinute: 120 },
        { fromMinute: 5, requestsPerMinute: 600 },
      ],
    });
    clock.advanceMinutes(10);
    em.advance();
    expect(em.log.length).toBe(5 * 120 + 5 * 600);
    for (let i = 1; i < em.log.length; i++) expect(em.log.timeAt(i)).toBeGreaterThanOrEqual(em.log.timeAt(i - 1));
    expect(em.servedCounts()['credit-model:1']?.total).toBe(5 * 120 + 5 * 600);
  });

  it('drops rows past the retention, keeping recent rows and their request ids', async () => {
    const clock = new ManualClock();
    const em = createEmulator({ clock, seed: 9, retentionMinutes: 60, world: createDemoWorld({ requestsPerMinute: 1000 }) });
    started.push(em);
    clock.advanceMinutes(100);
    em.advance();
    const lastId = em.log.requestIdAt(em.log.length - 1);
    const lastTime = em.log.timeAt(em.log.length - 1);
    clock.advanceMinutes(30);
    em.advance(); // minute 130: rows before minute 70 go
    expect(em.log.timeAt(0)).toBeGreaterThanOrEqual(clock.now() - 60 * 60_000);
    expect(em.log.length).toBe(60 * 1000);
    const index = em.log.lowerBound(lastTime);
    expect(em.log.timeAt(index)).toBe(lastTime);
    expect(em.log.requestIdAt(index)).toBe(lastId);
    expect(em.servedCounts()['credit-model:1']?.total).toBe(130 * 1000); // counts keep everything
  });
});
