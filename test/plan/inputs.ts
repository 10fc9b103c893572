/** Compile inputs for tests (fresh objects per call). */
import type { CompilePlanInput } from '../../src/plan/compile';

export function compileInput(over: Partial<CompilePlanInput> = {}): CompilePlanInput {
  return {
    rolloutId: 'ws-credit-scoring-credit-model-2',
    model: {
      name: 'credit-model',
      version: '2',
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/models/credit-model/versions/2',
    },
    target: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws' },
    baseline: {
      deployment: 'blue',
      modelId:
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/models/credit-model/versions/1',
    },
    existingDeployments: [{ name: 'blue', liveTrafficPercent: 100 }],
    ...over,
  };
}
