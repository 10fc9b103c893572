/**
 * Runs the azd hooks for real with `sh`, against stand-ins for `az` and `azd` that record their
 * arguments and answer like the real CLIs would. This checks what the hooks decide (which
 * parameters reach workload.bicep, when the event subscription is created, what they refuse)
 * without Azure.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const hooksDir = path.resolve(__dirname, '../../infra/hooks');
const workspaceId =
  '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ml-prod';
const logAnalyticsId =
  '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-prod';
const functionAppId =
  '/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-dev/providers/Microsoft.Web/sites/func-aml-rollout-abc';

// A stand-in for the Azure CLI: logs one line per call (arguments separated by ' | ') and answers
// from environment variables set by each test.
const fakeAz = `#!/bin/sh
printf '%s\\n' "$(printf '%s | ' "$@")" >> "$FAKE_LOG"
case "$1 $2 $3" in
  "account show "*) exit "\${FAKE_LOGGED_IN:-0}" ;;
  "resource show "*) printf '%s' "\${FAKE_TAGS:-}" ; exit 0 ;;
  "functionapp function show") exit "\${FAKE_FUNCTION_EXISTS:-1}" ;;
  "eventgrid system-topic list") printf '%b' "\${FAKE_TOPICS:-}" ; exit 0 ;;
  "eventgrid system-topic event-subscription") printf '%s' "\${FAKE_OTHER_SUBSCRIPTIONS:-0}" ; exit 0 ;;
  "role assignment list") printf '%b' "\${FAKE_ASSIGNMENTS:-}" ; exit 0 ;;
  "deployment sub create") exit 0 ;;
  "rest --method get") printf '%b' "\${FAKE_UNRESOLVED:-}" ; exit 0 ;;
esac
exit 0
`;
const fakeAzd = `#!/bin/sh
printf 'azd | %s\\n' "$(printf '%s | ' "$@")" >> "$FAKE_LOG"
`;

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface HookRun {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: string[];
}

function runHook(hook: string, env: Record<string, string>): HookRun {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aml-rollout-hooks-'));
  temps.push(dir);
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, text] of [
    ['az', fakeAz],
    ['azd', fakeAzd],
  ] as const) {
    writeFileSync(path.join(bin, name), text);
    chmodSync(path.join(bin, name), 0o755);
  }
  const log = path.join(dir, 'calls.log');
  writeFileSync(log, '');
  const result = spawnSync('sh', [path.join(hooksDir, hook)], {
    encoding: 'utf8',
    env: {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      FAKE_LOG: log,
      AML_ROLLOUT_FUNCTION_WAIT_SECONDS: '0',
      ...env,
    },
    timeout: 20_000,
  });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    calls: readFileSync(log, 'utf8').split('\n').filter(Boolean),
  };
}

/** The azd environment after `azd provision`: inputs plus main.bicep's outputs. */
const provisioned: Record<string, string> = {
  AZURE_ENV_NAME: 'dev',
  AZURE_LOCATION: 'swedencentral',
  AZURE_SUBSCRIPTION_ID: '33333333-3333-3333-3333-333333333333',
  AZURE_RESOURCE_GROUP: 'rg-dev',
  AML_WORKSPACE_RESOURCE_ID: workspaceId,
  TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID: logAnalyticsId,
  AML_ENDPOINT_NAMES: 'credit-scoring, fraud-v2',
  AZURE_FUNCTION_APP_NAME: 'func-aml-rollout-abc',
  AZURE_FUNCTION_APP_ID: functionAppId,
  CONTROLLER_IDENTITY_PRINCIPAL_ID: '44444444-4444-4444-4444-444444444444',
  HOST_STORAGE_ACCOUNT_ID:
    '/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-dev/providers/Microsoft.Storage/storageAccounts/stamlrabc',
  DEAD_LETTER_CONTAINER_NAME: 'model-registered-dead-letters',
  API_BASE_URL: 'https://func-aml-rollout-abc.azurewebsites.net/api',
};

function deploymentCall(calls: string[]): string[] {
  const call = calls.find((c) => c.startsWith('deployment | sub | create'));
  expect(call, `az deployment sub create was called; calls:\n${calls.join('\n')}`).toBeDefined();
  return (call ?? '').split(' | ');
}

describe('preprovision', () => {
  it('refuses a workspace id of the wrong shape, naming the variable and the expected form', () => {
    const run = runHook('preprovision.sh', {
      AML_WORKSPACE_RESOURCE_ID: '/subscriptions/1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x',
      TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID: logAnalyticsId,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('AML_WORKSPACE_RESOURCE_ID is not a Microsoft.MachineLearningServices/workspaces resource id');
  });

  it('refuses a missing Log Analytics workspace id with the command that sets it', () => {
    const run = runHook('preprovision.sh', { AML_WORKSPACE_RESOURCE_ID: workspaceId });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      'TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID is not set. Run: azd env set TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID /subscriptions/',
    );
  });

  it('refuses an endpoint name Azure ML would not accept', () => {
    const run = runHook('preprovision.sh', { ...provisioned, AML_ENDPOINT_NAMES: 'ok-endpoint,bad_name' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("AML_ENDPOINT_NAMES: 'bad_name' is not an online endpoint name");
  });

  it('asks for az login when the Azure CLI is not logged in', () => {
    const run = runHook('preprovision.sh', { ...provisioned, FAKE_LOGGED_IN: '1' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('the Azure CLI is not logged in. Run: az login');
  });

  it('generates a strong APPROVAL_LINK_SECRET into the azd environment when none is set', () => {
    const run = runHook('preprovision.sh', {
      AML_WORKSPACE_RESOURCE_ID: workspaceId,
      TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID: logAnalyticsId,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const set = run.calls.find((c) => c.startsWith('azd | env | set | APPROVAL_LINK_SECRET | '));
    const secret = set?.split(' | ')[4] ?? '';
    expect(Buffer.from(secret, 'base64')).toHaveLength(48);
    // A second environment gets a different secret.
    const again = runHook('preprovision.sh', {
      AML_WORKSPACE_RESOURCE_ID: workspaceId,
      TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID: logAnalyticsId,
    });
    expect(again.calls.find((c) => c.includes('APPROVAL_LINK_SECRET'))).not.toBe(set);
  });

  it('keeps an APPROVAL_LINK_SECRET that is set, and refuses one that is too short', () => {
    const kept = runHook('preprovision.sh', { ...provisioned, APPROVAL_LINK_SECRET: 'x'.repeat(40) });
    expect(kept.status).toBe(0);
    expect(kept.calls.some((c) => c.startsWith('azd'))).toBe(false);
    const short = runHook('preprovision.sh', { ...provisioned, APPROVAL_LINK_SECRET: 'short-secret' });
    expect(short.status).not.toBe(0);
    expect(short.stderr).toContain('APPROVAL_LINK_SECRET must be at least 32 characters (it has 12)');
  });
});

describe('postprovision', () => {
  it('deploys workload.bicep without the event subscription while the function does not exist yet', () => {
    const run = runHook('postprovision.sh', provisioned);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const args = deploymentCall(run.calls);
    expect(args).toContain('deployEventSubscription=false');
    expect(args).toContain('eventSubscriptionName=aml-rollout-dev');
    expect(args).toContain(`--template-file`);
    expect(args[args.indexOf('--template-file') + 1]).toBe(path.resolve(hooksDir, '../workload.bicep'));
    expect(args).toContain(`amlWorkspaceResourceId=${workspaceId}`);
    expect(args).toContain(`targetLogAnalyticsWorkspaceResourceId=${logAnalyticsId}`);
    expect(args).toContain('controllerPrincipalId=44444444-4444-4444-4444-444444444444');
    expect(args).toContain(`functionAppId=${functionAppId}`);
    expect(args).toContain('endpointNames=["credit-scoring","fraud-v2"]');
    // No existing topic: workload.bicep's defaults create evgt-<workspace>.
    expect(args.filter((arg) => arg.startsWith('systemTopic'))).toEqual([]);
    expect(args).toContain('tags={"aml-rollout-env": "dev"}');
    expect(run.calls.some((c) => c.startsWith('functionapp | function | show') && c.includes('--function-name | modelRegistered |'))).toBe(
      true,
    );
  });

  it('includes the event subscription when the app is already deployed (a re-provision)', () => {
    const run = runHook('postprovision.sh', { ...provisioned, FAKE_FUNCTION_EXISTS: '0' });
    expect(run.status).toBe(0);
    expect(deploymentCall(run.calls)).toContain('deployEventSubscription=true');
  });

  it('stops on a bad endpoint name before deploying anything', () => {
    const run = runHook('postprovision.sh', { ...provisioned, AML_ENDPOINT_NAMES: 'good,9bad' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("AML_ENDPOINT_NAMES: '9bad' is not an online endpoint name (starts with a letter)");
    expect(run.calls.some((c) => c.startsWith('deployment'))).toBe(false);
  });

  it('fails with a clear message when main.bicep outputs are missing', () => {
    const { AZURE_FUNCTION_APP_ID: _omitted, ...partial } = provisioned;
    const run = runHook('postprovision.sh', partial);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      'AZURE_FUNCTION_APP_ID is not set in the azd environment. It is an output of infra/main.bicep: run azd provision first.',
    );
  });
});

describe('postdeploy', () => {
  it("creates the event subscription once the Event Grid function exists, reusing the workspace's system topic and its tags", () => {
    // The existing topic lives in another resource group and its source differs in case, as ARM ids often do.
    const run = runHook('postdeploy.sh', {
      ...provisioned,
      FAKE_FUNCTION_EXISTS: '0',
      FAKE_TOPICS: `other-topic\\t/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z\\ty\\tNone\\nml-prod-events\\t${workspaceId.toLowerCase()}\\trg-events\\tSystemAssigned\\n`,
      FAKE_TAGS: '{\n  "owner": "ml-platform"\n}',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const args = deploymentCall(run.calls);
    expect(args).toContain('deployEventSubscription=true');
    expect(args).toContain('systemTopicName=ml-prod-events');
    expect(args).toContain('systemTopicResourceGroup=rg-events');
    expect(args).toContain('systemTopicTags={  "owner": "ml-platform"}');
    expect(run.stdout).toContain("reusing the workspace's Event Grid system topic 'ml-prod-events' (resource group rg-events)");
    expect(run.stdout).toContain('API: https://func-aml-rollout-abc.azurewebsites.net/api');
  });

  it('refuses to take over a system topic that has a user-assigned identity', () => {
    const run = runHook('postdeploy.sh', {
      ...provisioned,
      FAKE_FUNCTION_EXISTS: '0',
      FAKE_TOPICS: `shared-topic\\t${workspaceId}\\trg-ml\\tSystemAssigned, UserAssigned\\n`,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("the workspace's system topic 'shared-topic' (resource group rg-ml) has a user-assigned identity");
    expect(run.calls.some((c) => c.startsWith('deployment'))).toBe(false);
  });

  it('gives up with the function named when the app never registers it', () => {
    const run = runHook('postdeploy.sh', { ...provisioned, AML_ROLLOUT_FUNCTION_WAIT_ATTEMPTS: '2' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("function 'modelRegistered' did not appear in func-aml-rollout-abc");
    expect(run.calls.some((c) => c.startsWith('deployment'))).toBe(false);
  });

  it('warns about Key Vault references that did not resolve', () => {
    const run = runHook('postdeploy.sh', { ...provisioned, FAKE_FUNCTION_EXISTS: '0', FAKE_UNRESOLVED: 'APPROVAL_LINK_SECRET\\n' });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('Key Vault references not resolved yet: APPROVAL_LINK_SECRET');
  });
});

describe('predown', () => {
  it('does nothing when the environment was never provisioned', () => {
    const run = runHook('predown.sh', { AZURE_ENV_NAME: 'dev' });
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([]);
  });

  it("removes the subscription, the endpoint diagnostics and the identity's role assignments outside the resource group", () => {
    const run = runHook('predown.sh', { ...provisioned, FAKE_TOPICS: `evgt-ml-prod\\t${workspaceId}\\trg-ml\\tSystemAssigned\\n` });
    expect(run.status).toBe(0);
    const topicId = `/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-ml/providers/Microsoft.EventGrid/systemTopics/evgt-ml-prod`;
    expect(run.calls).toContain(`resource | delete | --ids | ${topicId}/eventSubscriptions/aml-rollout-dev | --only-show-errors | `);
    for (const endpoint of ['credit-scoring', 'fraud-v2']) {
      expect(run.calls).toContain(
        `monitor | diagnostic-settings | delete | --name | aml-rollout | --resource | ${workspaceId}/onlineEndpoints/${endpoint} | --only-show-errors | `,
      );
    }
    for (const scope of [workspaceId, logAnalyticsId]) {
      expect(run.calls).toContain(
        `role | assignment | list | --scope | ${scope} | --query | [?principalId=='44444444-4444-4444-4444-444444444444'].id | --output | tsv | --only-show-errors | `,
      );
    }
  });

  it('deletes the system topic only when this environment created it and nothing else subscribes', () => {
    const topicId = `/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-ml/providers/Microsoft.EventGrid/systemTopics/evgt-ml-prod`;
    const env = {
      ...provisioned,
      FAKE_TOPICS: `evgt-ml-prod\\t${workspaceId}\\trg-ml\\tSystemAssigned\\n`,
      FAKE_ASSIGNMENTS: '/ra/1\\n/ra/2\\n',
    };
    const ours = runHook('predown.sh', { ...env, FAKE_TAGS: 'dev', FAKE_OTHER_SUBSCRIPTIONS: '0' });
    expect(ours.status).toBe(0);
    expect(ours.calls).toContain(`resource | delete | --ids | ${topicId} | --only-show-errors | `);
    expect(ours.calls).toContain('role | assignment | delete | --ids | /ra/1 | /ra/2 | --only-show-errors | ');
    const shared = runHook('predown.sh', { ...env, FAKE_TAGS: 'dev', FAKE_OTHER_SUBSCRIPTIONS: '2' });
    expect(shared.calls).not.toContain(`resource | delete | --ids | ${topicId} | --only-show-errors | `);
    expect(shared.stdout).toContain('keeping system topic evgt-ml-prod');
    const theirs = runHook('predown.sh', { ...env, FAKE_TAGS: 'prod', FAKE_OTHER_SUBSCRIPTIONS: '0' });
    expect(theirs.calls).not.toContain(`resource | delete | --ids | ${topicId} | --only-show-errors | `);
  });
});
