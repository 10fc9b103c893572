/**
 * `npm run policies:check [folder]`: validates every policy file of a folder (default policies/)
 * and prints what each policy would do, as a plan preview for a sample registration (live
 * deployment "blue"). For CI on a policy repository and for authors: exit code 0 when every file
 * is valid, 2 otherwise (with every problem, each naming its file, line and path).
 */
import { resolve } from 'node:path';
import { RolloutError } from '../errors';
import { strategyOf, type Policy } from '../policy';
import { compilePlan } from '../plan/compile';
import { describePlan } from '../plan/describe';
import { loadPolicies } from './index';

/** A sample model name the policy's model glob accepts (`*` -> nothing, `?` -> "x"). */
function sampleModelName(policy: Policy): string {
  return policy.match.model.replace(/\*/g, '').replace(/\?/g, 'x') || 'example-model';
}

/** The plan a policy compiles to for a sample registration of version 2 over a live "blue". */
export function previewPlan(policy: Policy): string {
  const name = sampleModelName(policy);
  const modelId = (version: string): string => `azureml://models/${name}/versions/${version}`;
  const plan = compilePlan(policy, {
    rolloutId: `preview-${policy.name}`,
    model: { name, version: '2', id: modelId('2') },
    target: { subscriptionId: '<subscription>', resourceGroup: '<resource-group>', workspace: policy.match.workspace ?? '<workspace>' },
    baseline: { deployment: 'blue', modelId: modelId('1') },
    existingDeployments: [{ name: 'blue', modelId: modelId('1'), liveTrafficPercent: 100 }],
  });
  return describePlan(plan);
}

export async function checkPolicyFolder(folder: string): Promise<string> {
  const loaded = await loadPolicies(folder);
  const parts = loaded.map(({ policy, file }) => `${file}: ok (${strategyOf(policy).kind})\n${previewPlan(policy)}`);
  return `${parts.join('\n\n')}\n\n${loaded.length} valid policy file(s) in ${folder}`;
}

if (require.main === module) {
  const folder = resolve(process.argv[2] ?? 'policies');
  checkPolicyFolder(folder).then(
    (report) => console.log(report),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = error instanceof RolloutError ? 2 : 1;
    },
  );
}
