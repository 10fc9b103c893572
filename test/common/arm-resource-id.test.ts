import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { endpointArmUrlPath, endpointResourceId } from '../../src/common/arm-resource-id';
import { parseEndpointResourceId } from '../../src/azure/platform-metrics';

const PREFIX = '/providers/Microsoft.MachineLearningServices/workspaces';

describe('the ARM resource id of an online endpoint (one definition for the metrics look and the ARM adapter)', () => {
  it.each([
    {
      ref: { subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroup: 'rg-ml', workspace: 'ws', endpoint: 'credit' },
      id: `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ml${PREFIX}/ws/onlineEndpoints/credit`,
      path: `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ml${PREFIX}/ws/onlineEndpoints/credit`,
    },
    {
      // Resource group names may hold periods, underscores and parentheses: no encoding needed.
      ref: { subscriptionId: 's', resourceGroup: 'rg_(prod).eu', workspace: 'ml-ws', endpoint: 'fraud-v2' },
      id: `/subscriptions/s/resourceGroups/rg_(prod).eu${PREFIX}/ml-ws/onlineEndpoints/fraud-v2`,
      path: `/subscriptions/s/resourceGroups/rg_(prod).eu${PREFIX}/ml-ws/onlineEndpoints/fraud-v2`,
    },
    {
      // A character a path cannot carry as is: the id keeps it, the URL path encodes it in its own segment.
      ref: { subscriptionId: 's', resourceGroup: 'rg one', workspace: 'a/b', endpoint: 'e?x' },
      id: `/subscriptions/s/resourceGroups/rg one${PREFIX}/a/b/onlineEndpoints/e?x`,
      path: `/subscriptions/s/resourceGroups/rg%20one${PREFIX}/a%2Fb/onlineEndpoints/e%3Fx`,
    },
  ])('$ref.resourceGroup/$ref.endpoint', ({ ref, id, path }) => {
    expect(endpointResourceId(ref)).toBe(id);
    expect(endpointArmUrlPath(ref)).toBe(path);
  });

  it('for names Azure accepts, the id and the URL path are equal, and the metrics adapter reads the id back', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.()-]{0,30}$/);
    fc.assert(
      fc.property(fc.uuid(), name, name, name, (subscriptionId, resourceGroup, workspace, endpoint) => {
        const ref = { subscriptionId, resourceGroup, workspace, endpoint };
        expect(endpointArmUrlPath(ref)).toBe(endpointResourceId(ref));
        expect(parseEndpointResourceId(endpointResourceId(ref))).toEqual(ref);
      }),
    );
  });
});
