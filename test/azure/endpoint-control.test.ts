import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AzureCallError, RolloutError } from '../../src/errors';
import type { AzurePorts } from '../../src/azure';
import type { EndpointRef } from '../../src/ports';
import {
  ENDPOINT,
  ENDPOINT_KEY,
  FakeAzure,
  fakeAzurePorts,
  RESOURCE_GROUP,
  SUBSCRIPTION,
  TestClock,
  WORKSPACE,
  modelId,
} from './support/fake-azure';

const ref: EndpointRef = { subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE, endpoint: ENDPOINT };

let clock: TestClock;
let azure: FakeAzure;
let ports: AzurePorts;

beforeEach(async () => {
  clock = new TestClock();
  azure = await new FakeAzure(clock).start();
  ports = fakeAzurePorts(azure, clock);
});

afterEach(async () => {
  await azure.close();
});

describe('ArmEndpointControl: endpoint and traffic', () => {
  it('reads traffic and mirror traffic with the newer api-version', async () => {
    azure.endpoints.get(ENDPOINT)!.properties.mirrorTraffic = { blue: 10 };
    const state = await ports.endpointControl.getEndpoint(ref);
    expect(state).toMatchObject({
      name: ENDPOINT,
      provisioningState: 'Succeeded',
      traffic: { blue: 100 },
      mirrorTraffic: { blue: 10 },
      authMode: 'Key',
    });
    expect(azure.armRequests('GET', `/onlineEndpoints/${ENDPOINT}`).at(-1)?.apiVersion).toBe('2024-04-01');
  });

  it('writes live and mirror traffic in one PUT, waits on the clock and returns what Azure holds', async () => {
    await ports.endpointControl.createDeployment(ref, { cloneFrom: 'blue', name: 'green', modelId: modelId('credit-model', '2') });
    const before = clock.now();
    const state = await ports.endpointControl.setTraffic(ref, { blue: 90, green: 10 }, {});
    expect(state.traffic).toEqual({ blue: 90, green: 10 });
    expect(state.provisioningState).toBe('Succeeded');
    const puts = azure.armRequests('PUT', `/onlineEndpoints/${ENDPOINT}`).filter((request) => !request.path.includes('/deployments/'));
    expect(puts).toHaveLength(1);
    expect(puts[0]?.apiVersion).toBe('2024-04-01');
    expect((puts[0]?.body as { properties: unknown }).properties).toMatchObject({
      traffic: { blue: 90, green: 10 },
      mirrorTraffic: {},
      authMode: 'Key',
    });
    // read-only fields are not sent back
    expect((puts[0]?.body as { properties: Record<string, unknown> }).properties.provisioningState).toBeUndefined();
    // the 20 s update was waited for on the injected clock
    expect(clock.now() - before).toBeGreaterThanOrEqual(20_000);

    const mirrored = await ports.endpointControl.setTraffic(ref, { blue: 100, green: 0 }, { green: 20 });
    expect(mirrored.mirrorTraffic).toEqual({ green: 20 });
    expect((await ports.endpointControl.getEndpoint(ref)).mirrorTraffic).toEqual({ green: 20 });
  });

  it('does not write when the endpoint already holds the wanted split (idempotent)', async () => {
    const before = azure.requests.length;
    const state = await ports.endpointControl.setTraffic(ref, { blue: 100 }, {});
    expect(state.traffic).toEqual({ blue: 100 });
    expect(azure.requests.slice(before).filter((request) => request.method === 'PUT')).toHaveLength(0);
  });

  it('retries a 409 with back-off on the clock, then succeeds', async () => {
    azure.faults.push({ method: 'PUT', pathIncludes: `/onlineEndpoints/${ENDPOINT}`, status: 409, count: 2 });
    await ports.endpointControl.createDeployment(ref, { cloneFrom: 'blue', name: 'green', modelId: modelId('credit-model', '2') });
    // the deployment PUT also matches the fault: 2 conflicts in total, both retried
    const state = await ports.endpointControl.setTraffic(ref, { blue: 50, green: 50 }, {});
    expect(state.traffic).toEqual({ blue: 50, green: 50 });
    expect(azure.faults[0]?.count).toBe(0);
  });

  it('keeps Azure validation errors as InvalidInput, not retried', async () => {
    const error = await ports.endpointControl.setTraffic(ref, { blue: 50 }, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AzureCallError);
    expect(error).toMatchObject({ code: 'InvalidInput', retryable: false, statusCode: 400 });
    expect((error as Error).message).toContain('Traffic must sum to 100');
    expect(azure.armRequests('PUT', `/onlineEndpoints/${ENDPOINT}`)).toHaveLength(1);
  });

  it('honours Retry-After of a 429', async () => {
    azure.faults.push({ method: 'GET', pathIncludes: `/onlineEndpoints/${ENDPOINT}`, status: 429, retryAfterSeconds: 7 });
    await ports.endpointControl.getEndpoint(ref);
    expect(clock.sleeps).toContain(7000);
  });

  it('gives up after the configured attempts with the last error', async () => {
    azure.faults.push({ method: 'GET', pathIncludes: `/onlineEndpoints/${ENDPOINT}`, status: 503, count: 10 });
    const error = await ports.endpointControl.getEndpoint(ref).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'Transient', retryable: true, statusCode: 503 });
    expect(azure.armRequests('GET', `/onlineEndpoints/${ENDPOINT}`)).toHaveLength(5);
  });
});

describe('ArmEndpointControl: deployments', () => {
  it('creates a deployment by cloning the live one with the new model, and waits until Succeeded', async () => {
    const before = clock.now();
    const green = await ports.endpointControl.createDeployment(ref, {
      cloneFrom: 'blue',
      name: 'green',
      modelId: modelId('credit-model', '2'),
      tags: { rollout: 'r1' },
    });
    expect(green).toMatchObject({
      name: 'green',
      provisioningState: 'Succeeded',
      modelId: modelId('credit-model', '2'),
      instanceType: 'Standard_DS3_v2',
      instanceCount: 2,
      tags: { rollout: 'r1' },
    });
    expect(clock.now() - before).toBeGreaterThanOrEqual(90_000);
    // polled at the operation's Retry-After (5 s), not the 10 s default interval
    expect(clock.sleeps.length).toBeGreaterThan(10);
    expect(new Set(clock.sleeps)).toEqual(new Set([5000]));
    const put = azure.armRequests('PUT', '/deployments/green')[0];
    const sent = put?.body as { sku: unknown; location: string; properties: Record<string, unknown> };
    expect(sent.sku).toEqual({ name: 'Default', capacity: 2 });
    expect(sent.location).toBe('westeurope');
    const blue = azure.deployments.get('blue')!.properties;
    for (const field of [
      'instanceType',
      'scaleSettings',
      'requestSettings',
      'livenessProbe',
      'readinessProbe',
      'environmentId',
      'codeConfiguration',
      'environmentVariables',
      'appInsightsEnabled',
    ]) {
      // The SDK's serializer may add documented defaults (requestSettings.maxQueueWait): the live values must all be there.
      const value = blue[field];
      if (typeof value === 'object' && value !== null) expect(sent.properties[field], field).toMatchObject(value);
      else expect(sent.properties[field], field).toEqual(value);
    }
    expect(sent.properties.model).toBe(modelId('credit-model', '2'));
    expect(sent.properties.provisioningState).toBeUndefined();
  });

  it('is idempotent: a second create with the same model writes nothing', async () => {
    await ports.endpointControl.createDeployment(ref, { cloneFrom: 'blue', name: 'green', modelId: modelId('credit-model', '2') });
    await ports.endpointControl.createDeployment(ref, { cloneFrom: 'blue', name: 'green', modelId: modelId('credit-model', '2') });
    expect(azure.armRequests('PUT', '/deployments/green')).toHaveLength(1);
  });

  it('reports a deployment that ended Failed as its state', async () => {
    azure.failingModels.add('/models/credit-model/versions/2');
    const green = await ports.endpointControl.createDeployment(ref, {
      cloneFrom: 'blue',
      name: 'green',
      modelId: modelId('credit-model', '2'),
    });
    expect(green.provisioningState).toBe('Failed');
  });

  it('overrides the instance count when asked', async () => {
    const green = await ports.endpointControl.createDeployment(ref, {
      cloneFrom: 'blue',
      name: 'green',
      modelId: modelId('credit-model', '2'),
      instanceCount: 1,
    });
    expect(green.instanceCount).toBe(1);
  });

  it('lists deployments and strips the azureml: prefix of model ids', async () => {
    const list = await ports.endpointControl.listDeployments(ref);
    expect(list.map((deployment) => deployment.name)).toEqual(['blue']);
    expect(list[0]?.modelId).toBe(modelId('credit-model', '1'));
  });

  it('throws NotFound for a deployment that does not exist', async () => {
    const error = await ports.endpointControl.getDeployment(ref, 'nope').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RolloutError);
    expect(error).toMatchObject({ code: 'NotFound', retryable: false });
  });

  it('replaces the model in place (recreate)', async () => {
    const blue = await ports.endpointControl.updateDeploymentModel(ref, 'blue', modelId('credit-model', '2'));
    expect(blue).toMatchObject({ provisioningState: 'Succeeded', modelId: modelId('credit-model', '2'), tags: { owner: 'team-a' } });
  });

  it('deletes and waits; deleting an absent deployment succeeds', async () => {
    await ports.endpointControl.createDeployment(ref, { cloneFrom: 'blue', name: 'green', modelId: modelId('credit-model', '2') });
    await ports.endpointControl.deleteDeployment(ref, 'green');
    expect(azure.deployments.has('green')).toBe(false);
    await expect(ports.endpointControl.deleteDeployment(ref, 'green')).resolves.toBeUndefined();
  });

  it('refuses to delete a deployment with live traffic (Azure says 400)', async () => {
    await expect(ports.endpointControl.deleteDeployment(ref, 'blue')).rejects.toMatchObject({ code: 'InvalidInput', retryable: false });
  });
});

describe('ArmEndpointControl: invokeDeployment', () => {
  it('pins the deployment, authenticates with the endpoint key and reports who answered', async () => {
    const result = await ports.endpointControl.invokeDeployment(ref, { deployment: 'blue', body: { data: [[1, 2]] }, timeoutInMs: 2000 });
    expect(result).toMatchObject({ statusCode: 200, answeredBy: 'blue', durationMs: 40 });
    expect(result.body).toMatchObject({ echo: { data: [[1, 2]] } });
    const scoring = azure.requests.filter((request) => request.path.startsWith('/score/'));
    expect(scoring[0]?.headers['azureml-model-deployment']).toBe('blue');
    expect(scoring[0]?.headers.authorization).toBe(`Bearer ${ENDPOINT_KEY}`);
  });

  it('reports a failing status code instead of throwing', async () => {
    const result = await ports.endpointControl.invokeDeployment(ref, { deployment: 'missing', body: {} });
    expect(result.statusCode).toBe(404);
  });

  it('fetches the key again once when it was rotated since it was cached', async () => {
    await ports.endpointControl.invokeDeployment(ref, { deployment: 'blue', body: {} });
    azure.endpointKey = 'rotated-key';
    const result = await ports.endpointControl.invokeDeployment(ref, { deployment: 'blue', body: {} });
    expect(result.statusCode).toBe(200);
    expect(azure.requests.filter((request) => request.path.endsWith('/listKeys'))).toHaveLength(2);
  });
});
