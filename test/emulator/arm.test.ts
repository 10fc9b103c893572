import { RetryAfterTracker, pollOnClock } from '../../src/azure/lro';
import type { AdapterContext } from '../../src/azure/context';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import type { OnlineDeployment, OnlineEndpoint } from '@azure/arm-machinelearning';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoWorld, createEmulator, type Emulator, type StateSnapshot } from '../../src/harness/emulator';
import { ManualClock, RG, WS, armClient, armFetch, deploymentBody, whileAdvancing, workspacePath } from './helpers';

const started: Emulator[] = [];
async function start(
  options: { seed?: number; versions?: string[]; behavior?: Record<string, object> } = {},
): Promise<{ em: Emulator; clock: ManualClock }> {
  const clock = new ManualClock();
  const em = createEmulator({
    clock,
    seed: options.seed ?? 3,
    world: createDemoWorld({
      versions: options.versions ?? ['1', '2', '3'],
      requestsPerMinute: 60,
      ...(options.behavior ? { behavior: options.behavior } : {}),
    }),
  });
  await em.start();
  started.push(em);
  return { em, clock };
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((em) => em.stop()));
});

const EP = 'credit-scoring';
const endpointPath = (em: Emulator, name = EP): string => `${workspacePath(em)}/onlineEndpoints/${name}`;

/** Creates deployment `name` on model credit-model:`version` and waits for it through the SDK poller. */
async function createDeployment(em: Emulator, clock: ManualClock, name: string, version: string): Promise<OnlineDeployment> {
  const arm = armClient(em);
  const poller = await arm.onlineDeployments.beginCreateOrUpdate(RG, WS, EP, name, deploymentBody(em, 'credit-model', version), {
    updateIntervalInMs: 1,
  });
  return whileAdvancing(clock, 30_000, poller.pollUntilDone());
}

async function putTraffic(
  em: Emulator,
  traffic: Record<string, number>,
  mirrorTraffic?: Record<string, number>,
): Promise<{ status: number; body: any }> {
  const current = await armFetch(em, 'GET', endpointPath(em), undefined, '2024-04-01');
  const body = { ...current.body, properties: { ...current.body.properties, traffic, ...(mirrorTraffic ? { mirrorTraffic } : {}) } };
  return armFetch(em, 'PUT', endpointPath(em), body, '2024-04-01');
}

describe('ARM resources through the real SDK client', () => {
  it('serves the demo world in Azure shapes', async () => {
    const { em } = await start();
    const arm = armClient(em);
    const endpoint = await arm.onlineEndpoints.get(RG, WS, EP);
    expect(endpoint.id).toBe(`${workspacePath(em)}/onlineEndpoints/${EP}`);
    expect(endpoint.type).toBe('Microsoft.MachineLearningServices/workspaces/onlineEndpoints');
    expect(endpoint.properties).toMatchObject({ authMode: 'Key', provisioningState: 'Succeeded', traffic: { blue: 100 } });
    expect(endpoint.properties.scoringUri).toBe(`${em.url}/score/${EP}`);
    const deployments: OnlineDeployment[] = [];
    for await (const d of arm.onlineDeployments.list(RG, WS, EP)) deployments.push(d);
    expect(deployments.map((d) => d.name)).toEqual(['blue']);
    expect(deployments[0]?.properties).toMatchObject({
      endpointComputeType: 'Managed',
      provisioningState: 'Succeeded',
      model: em.state.modelVersionId('credit-model', '1'),
    });
    const keys = await arm.onlineEndpoints.listKeys(RG, WS, EP);
    expect(keys.primaryKey).toMatch(/^[0-9a-f]{32}$/);
    expect(keys.primaryKey).toBe(em.endpointKeys(EP).primaryKey);
    const version = await arm.modelVersions.get(RG, WS, 'credit-model', '2');
    expect(version.id).toBe(em.state.modelVersionId('credit-model', '2'));
    expect(version.properties.tags).toEqual({ stage: 'production' });
  });

  it('creates a deployment as a long-running operation that takes 6-10 virtual minutes', async () => {
    const { em, clock } = await start();
    const snapshots: StateSnapshot[] = [];
    em.onChange((s) => snapshots.push(s));
    const green = await createDeployment(em, clock, 'green', '2');
    expect(green.properties.provisioningState).toBe('Succeeded');
    const completed = snapshots.find((s) => s.cause === 'create deployment credit-scoring/green');
    expect(completed).toBeDefined();
    const minutes = ((completed?.atMs ?? 0) - em.originMs) / 60_000;
    expect(minutes).toBeGreaterThanOrEqual(6);
    expect(minutes).toBeLessThanOrEqual(10);
    expect(snapshots[0]?.endpoints[0]?.deployments.find((d) => d.name === 'green')?.provisioningState).toBe('Creating');
    expect(em.counters.armWrites).toBe(1);
    expect(em.counters.armReads).toBeGreaterThan(1); // operation status polls and the final GET
  });

  it('answers 409 while a deployment is Creating and while the endpoint is Updating', async () => {
    const { em, clock } = await start();
    const path = `${endpointPath(em)}/deployments/green`;
    const created = await armFetch(em, 'PUT', path, deploymentBody(em, 'credit-model', '2'));
    expect(created.status).toBe(201);
    expect(created.body.properties.provisioningState).toBe('Creating');
    expect(created.headers.get('azure-asyncoperation')).toContain('/mfeOperationsStatus/');
    const again = await armFetch(em, 'PUT', path, deploymentBody(em, 'credit-model', '3'));
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('because it is in Creating provisioning state');
    clock.advanceMinutes(11);
    const traffic = await putTraffic(em, { blue: 90, green: 10 });
    expect(traffic.status).toBe(200);
    expect(traffic.body.properties.provisioningState).toBe('Updating');
    const during = await putTraffic(em, { blue: 80, green: 20 });
    expect(during.status).toBe(409);
    expect(during.body.error).toMatchObject({ code: 'Conflict' });
    expect(during.body.error.message).toContain('because it is in Updating provisioning state');
    clock.advanceMinutes(1);
    expect((await putTraffic(em, { blue: 80, green: 20 })).status).toBe(200);
  });

  it('polls operation status resources and Location until done', async () => {
    const { em, clock } = await start();
    const created = await armFetch(em, 'PUT', `${endpointPath(em)}/deployments/green`, deploymentBody(em, 'credit-model', '2'));
    const statusUrl = new URL(created.headers.get('azure-asyncoperation') ?? '');
    const poll = async () => (await armFetch(em, 'GET', statusUrl.pathname, undefined, statusUrl.searchParams.get('api-version'))).body;
    expect((await poll()).status).toBe('InProgress');
    clock.advanceMinutes(10);
    const done = await poll();
    expect(done.status).toBe('Succeeded');
    expect(Date.parse(done.endTime)).toBeGreaterThan(Date.parse(done.startTime));
    // Deleting returns 202 with Location; Location answers 202 while running, then 200.
    const deleted = await armFetch(em, 'DELETE', `${endpointPath(em)}/deployments/green`);
    expect(deleted.status).toBe(202);
    const location = new URL(deleted.headers.get('location') ?? '');
    const result = () => armFetch(em, 'GET', location.pathname, undefined, location.searchParams.get('api-version'));
    expect((await result()).status).toBe(202);
    clock.advanceMinutes(2);
    expect((await result()).status).toBe(200);
    expect((await armFetch(em, 'GET', `${endpointPath(em)}/deployments/green`)).status).toBe(404);
  });

  it('changes traffic with GET + PUT through the SDK poller, effective when the update completes', async () => {
    const { em, clock } = await start();
    await createDeployment(em, clock, 'green', '2');
    const arm = armClient(em);
    const endpoint = await arm.onlineEndpoints.get(RG, WS, EP);
    const body: OnlineEndpoint = { ...endpoint, properties: { ...endpoint.properties, traffic: { blue: 75, green: 25 } } };
    const poller = await arm.onlineEndpoints.beginCreateOrUpdate(RG, WS, EP, body, { updateIntervalInMs: 1 });
    expect(em.state.getEndpoint(EP).effectiveTraffic).toEqual({ blue: 100 });
    const updated = await whileAdvancing(clock, 15_000, poller.pollUntilDone());
    expect(updated.properties).toMatchObject({ provisioningState: 'Succeeded', traffic: { blue: 75, green: 25 } });
    expect(em.state.getEndpoint(EP).effectiveTraffic).toEqual({ blue: 75, green: 25 });
  });

  it('deletes a deployment through the SDK poller and refuses to delete one with traffic', async () => {
    const { em, clock } = await start();
    await createDeployment(em, clock, 'green', '2');
    const arm = armClient(em);
    await expect(arm.onlineDeployments.beginDeleteAndWait(RG, WS, EP, 'blue', { updateIntervalInMs: 1 })).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining("Deployment 'blue' cannot be deleted because it has 100% live traffic"),
    });
    const poller = await arm.onlineDeployments.beginDelete(RG, WS, EP, 'green', { updateIntervalInMs: 1 });
    await whileAdvancing(clock, 30_000, poller.pollUntilDone());
    await expect(arm.onlineDeployments.get(RG, WS, EP, 'green')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('drops a deleted deployment from the traffic maps, so GET + PUT of the endpoint still works', async () => {
    const { em, clock } = await start();
    await createDeployment(em, clock, 'green', '2');
    expect((await putTraffic(em, { blue: 100, green: 0 }, { green: 0 })).status).toBe(200);
    clock.advanceMinutes(1);
    expect((await armFetch(em, 'DELETE', `${endpointPath(em)}/deployments/green`)).status).toBe(202);
    clock.advanceMinutes(2);
    const after = await armFetch(em, 'GET', endpointPath(em), undefined, '2024-04-01');
    expect(after.body.properties.traffic).toEqual({ blue: 100 });
    expect(after.body.properties.mirrorTraffic).toEqual({});
    expect((await armFetch(em, 'PUT', endpointPath(em), after.body, '2024-04-01')).status).toBe(200);
  });

  it('refuses to delete a deployment that receives mirrored traffic', async () => {
    const { em, clock } = await start();
    await createDeployment(em, clock, 'green', '2');
    expect((await putTraffic(em, { blue: 100 }, { green: 10 })).status).toBe(200);
    clock.advanceMinutes(1);
    const deleted = await armFetch(em, 'DELETE', `${endpointPath(em)}/deployments/green`);
    expect(deleted.status).toBe(400);
    expect(deleted.body.error.message).toContain('10% mirror traffic');
  });

  it('ends a deployment Failed when its model version fails to provision', async () => {
    const { em, clock } = await start({ behavior: { 'credit-model:2': { provisioningFails: true } } });
    await expect(createDeployment(em, clock, 'green', '2')).rejects.toThrow(/failed/i);
    const green = await armClient(em).onlineDeployments.get(RG, WS, EP, 'green');
    expect(green.properties.provisioningState).toBe('Failed');
  });

  it('scales a deployment with PATCH (sku) as an operation, and updates tags at once', async () => {
    const { em, clock } = await start();
    const arm = armClient(em);
    const tagged = await arm.onlineDeployments.beginUpdateAndWait(RG, WS, EP, 'blue', { tags: { owner: 'ml' } }, { updateIntervalInMs: 1 });
    expect(tagged.tags).toEqual({ owner: 'ml' });
    const poller = await arm.onlineDeployments.beginUpdate(RG, WS, EP, 'blue', { sku: { capacity: 4 } }, { updateIntervalInMs: 1 });
    expect(em.state.getDeployment(EP, 'blue').provisioningState).toBe('Scaling');
    await whileAdvancing(clock, 30_000, poller.pollUntilDone());
    // The PATCH's 202 carries Location and no final-state-via, so the SDK's result is the
    // operation result, not the resource: read it back.
    const scaled = await arm.onlineDeployments.get(RG, WS, EP, 'blue');
    expect(scaled.sku?.capacity).toBe(4);
    expect(scaled.properties.provisioningState).toBe('Succeeded');
  });

  it('drops mirrorTraffic on a PUT with an api-version older than 2023-04-01 (older clients lose the mirror setting), keeps it on 2024-04-01 PUTs', async () => {
    const { em, clock } = await start();
    await createDeployment(em, clock, 'green', '2');
    const arm = armClient(em);
    const id = `${em.httpsUrl}${endpointPath(em)}`;
    const current = await arm.sendRequest(createPipelineRequest({ url: `${id}?api-version=2024-04-01`, method: 'GET' }));
    const body = JSON.parse(current.bodyAsText ?? '{}');
    body.properties.mirrorTraffic = { green: 20 };
    const put = await arm.sendRequest(
      createPipelineRequest({ url: `${id}?api-version=2024-04-01`, method: 'PUT', body: JSON.stringify(body), headers: undefined }),
    );
    expect(put.status).toBe(200);
    clock.advanceMinutes(1);
    // A 2024-04-01 PUT without a change to the mirror keeps it.
    const again = await armFetch(em, 'PUT', endpointPath(em), { ...body, tags: { kept: 'yes' } }, '2024-04-01');
    expect(again.status).toBe(200);
    clock.advanceMinutes(1);
    expect((await armFetch(em, 'GET', endpointPath(em), undefined, '2024-04-01')).body.properties.mirrorTraffic).toEqual({ green: 20 });
    // The SDK (2022-10-01) neither shows nor sends mirrorTraffic; its PUT loses the mirror.
    const endpoint = await arm.onlineEndpoints.get(RG, WS, EP);
    expect((endpoint.properties as unknown as Record<string, unknown>)['mirrorTraffic']).toBeUndefined();
    const poller = await arm.onlineEndpoints.beginCreateOrUpdate(
      RG,
      WS,
      EP,
      { ...endpoint, tags: { touched: 'yes' } },
      { updateIntervalInMs: 1 },
    );
    await whileAdvancing(clock, 15_000, poller.pollUntilDone());
    const after = await armFetch(em, 'GET', endpointPath(em), undefined, '2024-04-01');
    expect(after.body.properties.mirrorTraffic).toEqual({});
    expect(after.body.tags).toEqual({ touched: 'yes' });
  });

  it('creates and deletes an endpoint through the SDK pollers; requires a location to create', async () => {
    const { em, clock } = await start();
    const arm = armClient(em);
    const missing = await armFetch(em, 'PUT', endpointPath(em, 'fraud-scoring'), { properties: { authMode: 'Key' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('LocationRequired');
    const poller = await arm.onlineEndpoints.beginCreateOrUpdate(
      RG,
      WS,
      'fraud-scoring',
      { location: 'westeurope', properties: { authMode: 'Key' } },
      { updateIntervalInMs: 1 },
    );
    const created = await whileAdvancing(clock, 15_000, poller.pollUntilDone());
    expect(created.properties).toMatchObject({ provisioningState: 'Succeeded', traffic: {}, scoringUri: `${em.url}/score/fraud-scoring` });
    const names: string[] = [];
    for await (const e of arm.onlineEndpoints.list(RG, WS)) names.push(e.name ?? '');
    expect(names).toEqual(['credit-scoring', 'fraud-scoring']);
    const deleting = await arm.onlineEndpoints.beginDelete(RG, WS, 'fraud-scoring', { updateIntervalInMs: 1 });
    await whileAdvancing(clock, 15_000, deleting.pollUntilDone());
    await expect(arm.onlineEndpoints.get(RG, WS, 'fraud-scoring')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses a deployment write while its endpoint is Updating', async () => {
    const { em } = await start();
    expect((await putTraffic(em, { blue: 100 })).status).toBe(200);
    const answer = await armFetch(em, 'PUT', `${endpointPath(em)}/deployments/green`, deploymentBody(em, 'credit-model', '2'));
    expect(answer.status).toBe(409);
    expect(answer.body.error.message).toContain("online endpoint 'credit-scoring' because it is in Updating provisioning state");
  });

  it('requires the configured token when one is set', async () => {
    const clock = new ManualClock();
    const em = createEmulator({ clock, token: 's3cret', world: createDemoWorld() });
    await em.start();
    started.push(em);
    const denied = await armFetch(em, 'GET', endpointPath(em), undefined, '2022-10-01', 'other');
    expect(denied.status).toBe(401);
    expect(denied.body.error.code).toBe('AuthenticationFailed');
    expect((await armFetch(em, 'GET', endpointPath(em), undefined, '2022-10-01', 's3cret')).status).toBe(200);
  });

  it('takes the token in force at each call when given a function (a replaced token is refused)', async () => {
    const clock = new ManualClock();
    let current = 'first';
    const em = createEmulator({ clock, token: () => current, world: createDemoWorld() });
    await em.start();
    started.push(em);
    expect((await armFetch(em, 'GET', endpointPath(em), undefined, '2022-10-01', 'first')).status).toBe(200);
    current = 'second';
    expect((await armFetch(em, 'GET', endpointPath(em), undefined, '2022-10-01', 'first')).status).toBe(401);
    expect((await armFetch(em, 'GET', endpointPath(em), undefined, '2022-10-01', 'second')).status).toBe(200);
  });

  it('reads and writes model version tags, lists versions', async () => {
    const { em } = await start();
    const arm = armClient(em);
    const version = await arm.modelVersions.get(RG, WS, 'credit-model', '2');
    const written = await arm.modelVersions.createOrUpdate(RG, WS, 'credit-model', '2', {
      properties: { ...version.properties, tags: { ...version.properties.tags, 'rollout.verdict': 'promoted' } },
    });
    expect(written.properties.tags).toEqual({ stage: 'production', 'rollout.verdict': 'promoted' });
    expect((await arm.modelVersions.get(RG, WS, 'credit-model', '2')).properties.tags?.['rollout.verdict']).toBe('promoted');
    const names: string[] = [];
    for await (const v of arm.modelVersions.list(RG, WS, 'credit-model')) names.push(v.name ?? '');
    expect(names).toEqual(['1', '2', '3']);
    await expect(arm.modelVersions.get(RG, WS, 'credit-model', '9')).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('ARM validation errors in Azure shape', () => {
  it.each([
    ['traffic not summing to 100', { blue: 90 }, undefined, /must sum to 100 \(or all be 0\); they sum to 90/],
    ['traffic naming an unknown deployment', { blue: 50, ghost: 50 }, undefined, /deployment 'ghost', which does not exist/],
    ['mirror above 50%', { blue: 100 }, { green: 60 }, /at most 50% of traffic can be mirrored/],
    ['mirror on two deployments', { blue: 100 }, { green: 10, red: 10 }, /one deployment only/],
    [
      'live and mirrored traffic on one deployment',
      { blue: 90, green: 10 },
      { green: 10 },
      /cannot receive live traffic and mirror traffic/,
    ],
    ['mirror naming an unknown deployment', { blue: 100 }, { ghost: 10 }, /Mirror traffic is set for deployment 'ghost'/],
  ])('rejects %s', async (_name, traffic, mirror, message) => {
    const { em, clock } = await start();
    await createDeployment(em, clock, 'green', '2');
    await createDeployment(em, clock, 'red', '3');
    const answer = await putTraffic(em, traffic, mirror);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('UserError');
    expect(answer.body.error.message).toMatch(message);
    expect(answer.body.error.details[0].code).toBeTypeOf('string');
    expect(em.state.getEndpoint(EP).traffic).toEqual({ blue: 100 });
  });

  it('accepts all-zero traffic and 100 on one deployment', async () => {
    const { em, clock } = await start();
    await createDeployment(em, clock, 'green', '2');
    expect((await putTraffic(em, { blue: 0, green: 0 })).status).toBe(200);
    clock.advanceMinutes(1);
    expect((await putTraffic(em, { blue: 0, green: 100 })).status).toBe(200);
  });

  it.each(['1model', 'ab', 'a--b', 'green-', 'gr_een', `g${'x'.repeat(32)}`])('rejects the deployment name %s', async (name) => {
    const { em } = await start();
    const answer = await armFetch(em, 'PUT', `${endpointPath(em)}/deployments/${name}`, deploymentBody(em, 'credit-model', '2'));
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain(`Invalid deployment name '${name}'`);
  });

  it.each(['abc', 'green-2', 'G1-a-b', `g${'x'.repeat(31)}`])('accepts the deployment name %s', async (name) => {
    const { em } = await start();
    expect((await armFetch(em, 'PUT', `${endpointPath(em)}/deployments/${name}`, deploymentBody(em, 'credit-model', '2'))).status).toBe(
      201,
    );
  });

  it('rejects an unknown model version and accepts azureml: references', async () => {
    const { em } = await start();
    const unknown = await armFetch(em, 'PUT', `${endpointPath(em)}/deployments/green`, deploymentBody(em, 'credit-model', '7'));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("Model version 'credit-model:7' was not found");
    const body = deploymentBody(em, 'credit-model', '2');
    body.properties.model = `azureml:${body.properties.model}`;
    expect((await armFetch(em, 'PUT', `${endpointPath(em)}/deployments/green`, body)).status).toBe(201);
  });

  it('allows at most 20 deployments per endpoint', async () => {
    const { em } = await start();
    for (let i = 1; i < 20; i++) {
      expect(
        (
          await armFetch(
            em,
            'PUT',
            `${endpointPath(em)}/deployments/d${String(i).padStart(2, '0')}`,
            deploymentBody(em, 'credit-model', '2'),
          )
        ).status,
      ).toBe(201);
    }
    const answer = await armFetch(em, 'PUT', `${endpointPath(em)}/deployments/d20`, deploymentBody(em, 'credit-model', '2'));
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('at most 20');
  });

  it('checks api-version: missing, unknown, and the versions the SDK and adapter send', async () => {
    const { em } = await start();
    const missing = await armFetch(em, 'GET', endpointPath(em), undefined, null);
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('MissingApiVersionParameter');
    const unknown = await armFetch(em, 'GET', endpointPath(em), undefined, '2019-01-01');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('NoRegisteredProviderFound');
    expect(unknown.body.error.message).toContain("'2019-01-01'");
    for (const v of ['2022-10-01', '2023-04-01', '2024-04-01'])
      expect((await armFetch(em, 'GET', endpointPath(em), undefined, v)).status).toBe(200);
  });

  it('answers 404 for unknown resources, workspaces and resource groups, and 401 without a token', async () => {
    const { em } = await start();
    expect((await armFetch(em, 'GET', endpointPath(em, 'nope'))).body.error.code).toBe('ResourceNotFound');
    const otherGroup = endpointPath(em).replace('rg-aml-rollout', 'rg-other');
    expect((await armFetch(em, 'GET', otherGroup)).body.error.code).toBe('ResourceGroupNotFound');
    const response = await fetch(`${em.url}${endpointPath(em)}?api-version=2022-10-01`);
    expect(response.status).toBe(401);
  });

  it('refuses endpoint PATCH of anything but tags and identity', async () => {
    const { em } = await start();
    const answer = await armFetch(em, 'PATCH', endpointPath(em), { properties: { traffic: { blue: 100 } } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('PATCH of an online endpoint accepts only tags and identity');
    const tagged = await armFetch(em, 'PATCH', endpointPath(em), { tags: { team: 'risk' } });
    expect(tagged.status).toBe(202);
    expect(tagged.body.tags).toEqual({ team: 'risk' });
  });

  it('answers endpoint PATCH, deployment PATCH and DELETE with 202, Location and Retry-After (mfe.json 2024-04-01: 10-600 s)', async () => {
    const { em, clock } = await start();
    await createDeployment(em, clock, 'green', '2');
    const answers = [
      await armFetch(em, 'PATCH', endpointPath(em), { tags: { team: 'risk' } }, '2024-04-01'),
      await armFetch(em, 'PATCH', `${endpointPath(em)}/deployments/green`, { sku: { capacity: 2 } }, '2024-04-01'),
    ];
    clock.advanceMinutes(5);
    answers.push(await armFetch(em, 'DELETE', `${endpointPath(em)}/deployments/green`, undefined, '2024-04-01'));
    for (const answer of answers) {
      expect(answer.status).toBe(202);
      expect(answer.headers.get('location')).toMatch(/\/mfeOperationResults\/[^/?]+\?api-version=2024-04-01$/);
      expect(answer.headers.get('azure-asyncoperation')).toMatch(/\/mfeOperationsStatus\//);
      const retryAfter = Number(answer.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(10);
      expect(retryAfter).toBeLessThanOrEqual(600);
    }
    // Polling the Location answers 202 with Retry-After while the operation runs (the delete takes minutes).
    const poll = await armFetch(em, 'GET', new URL(answers[2]?.headers.get('location') ?? '').pathname, undefined, '2024-04-01');
    expect(poll.status).toBe(202);
    expect(poll.headers.get('retry-after')).toBe(answers[2]?.headers.get('retry-after'));
  });

  it("waits Retry-After on the app's clock, not the wall clock: the app's poller sleeps the emulator's 10 s in virtual time", async () => {
    const { em, clock } = await start();
    await createDeployment(em, clock, 'green', '2');
    const slept: number[] = [];
    const recordingClock = { now: () => clock.now(), sleep: (ms: number) => (slept.push(ms), clock.sleep(ms)) };
    const tracker = new RetryAfterTracker(() => clock.now());
    const poller = await armClient(em).onlineDeployments.beginUpdate(RG, WS, EP, 'green', { sku: { capacity: 3 } }, {
      onResponse: tracker.onResponse,
    } as never);
    const context = {
      clock: recordingClock,
      pollIntervalMs: 1_000,
      operationTimeoutMs: 3_600_000,
      maxAttempts: 3,
    } as unknown as AdapterContext;
    const outcome = await whileAdvancing(clock, 5_000, pollOnClock(poller, context, 'updateDeployment', tracker));
    expect(outcome).toBe('succeeded');
    expect(slept[0]).toBe(10_000);
  });
});
