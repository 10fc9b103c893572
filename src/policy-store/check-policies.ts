/**
 * `npm run policies:check [folder]`: validates every policy file of a folder (default policies/)
 * and prints what each policy would do, as a plan preview for a sample registration (live
 * deployment "blue"). For CI on a policy repository and for authors: exit code 0 when every file
 * is valid, 2 otherwise (with every problem, each naming its file, line and path).
 */
import { resolve } from 'node:path';
import { fixedDecimals } from '../analysis/number-format';
import { RolloutError } from '../errors';
import { strategyOf, type Policy } from '../policy';
import { compilePlan } from '../plan/compile';
import { describePlan } from '../plan/describe';
import { estimateRolloutCost, plannedOverlapMinutes } from '../plan/rollout-cost';
import type { Step } from '../plan/types';
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
  return `${describePlan(plan)}\n${previewRolloutCost(policy, plan.steps)}`;
}

/**
 * The rollout's own extra cost, as far as a preview can know it: the planned minutes the candidate
 * runs beside the live deployment, priced per instance of each type in the policy's price table
 * (the live deployment's type and count are only known at rollout start, where the real figure is
 * computed with the same function).
 */
function previewRolloutCost(policy: Policy, steps: readonly Step[]): string {
  const minutes = plannedOverlapMinutes(steps);
  if (minutes === 0) return '  extra cost: none (the new version replaces the live one in place)';
  const head = `  extra cost: the candidate runs beside the live deployment for the planned ${minutes} min (mirror phase included; approvals and extensions add to it)`;
  const table = policy.cost?.prices;
  if (policy.cost === undefined) return `${head}; add a cost section to price it at rollout start`;
  if (table === undefined) return `${head}; priced at rollout start from Azure Retail Prices in the endpoint's region`;
  const currency = policy.cost.currency;
  const lines = Object.entries(table).map(([instanceType, pricePerHour]) => {
    const amount = estimateRolloutCost(steps, { price: { instanceType, region: '', pricePerHour, currency }, instances: 1 }).amount;
    return `    per instance of ${instanceType}: ${amount === undefined ? '?' : fixedDecimals(amount, 2)} ${currency}`;
  });
  return [head, ...lines].join('\n');
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
