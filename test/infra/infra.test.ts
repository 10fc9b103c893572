/**
 * Holds infra/ and the code together: the settings src/config reads are set by the Bicep, the
 * roles the adapters need are assigned where they are needed, the Event Grid subscription
 * reaches the function the app registers. The Bicep is read as text (see bicep-text.ts); each
 * check is also run on a mutated copy to show that it catches the mistake it exists for.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { LOCAL_ONLY_SETTINGS, SETTING_NAMES } from '../../src/config/index';
import {
  appSettingNames,
  checkApiVersions,
  checkAppSettings,
  checkEventSubscription,
  checkFunctionApp,
  checkLint,
  checkModulePaths,
  checkParametersFile,
  checkRoleAssignments,
  checkSharedKeysOff,
  declarationsOf,
  MODEL_REGISTERED_EVENT_TYPE,
  parseBicep,
  propertyValue,
  registeredEventGridFunctions,
  type RoleTable,
} from './bicep-text';
import { REQUIRED_BUILT_IN_ROLES } from './built-in-roles';

const root = path.resolve(__dirname, '../..');
const infraDir = path.join(root, 'infra');
const read = (relative: string): string => readFileSync(path.join(infraDir, relative), 'utf8');
const readIfExists = (relative: string): string | undefined => (existsSync(path.join(infraDir, relative)) ? read(relative) : undefined);

/** infra/*.bicep and infra/modules/*.bicep, by path relative to infra/. */
function bicepFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const dir of ['.', 'modules']) {
    for (const name of readdirSync(path.join(infraDir, dir))) {
      if (name.endsWith('.bicep')) files[path.posix.join(dir, name).replace(/^\.\//, '')] = read(path.join(dir, name));
    }
  }
  return files;
}

const roleTable = JSON.parse(read('roles.json')) as RoleTable;
const main = read('main.bicep');
const workload = read('workload.bicep');
const functionApp = read('modules/function-app.bicep');
const eventGrid = {
  topic: read('modules/model-events.bicep'),
  subscription: read('modules/model-registered-subscription.bicep'),
  workload,
};

/** Replaces exactly one occurrence of `from` (fails loudly if the fixture text moved). */
function mutate(text: string, from: string | RegExp, to: string): string {
  const count =
    typeof from === 'string'
      ? text.split(from).length - 1
      : (text.match(new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`)) ?? []).length;
  expect(count, `mutation anchor ${String(from)} must occur exactly once`).toBe(1);
  return text.replace(from, to);
}

describe('app settings', () => {
  const required = SETTING_NAMES.filter((name) => !(LOCAL_ONLY_SETTINGS as readonly string[]).includes(name));

  it('declares only real settings as local-only', () => {
    for (const name of LOCAL_ONLY_SETTINGS) expect(SETTING_NAMES).toContain(name);
    expect(required.length).toBeGreaterThan(5);
  });

  it('sets every setting src/config reads, except the local-only ones', () => {
    expect(checkAppSettings(functionApp, required)).toEqual([]);
  });

  it('never sets a local-only setting in Azure (emulator endpoints, fixed tokens, the local API key)', () => {
    const { names } = appSettingNames(functionApp);
    for (const name of LOCAL_ONLY_SETTINGS) expect(names).not.toContain(name);
  });

  it('catches a setting removed from the Bicep', () => {
    const broken = mutate(functionApp, /^\s*AML_WORKSPACE_NAME:.*\n/m, '');
    expect(checkAppSettings(broken, required)).toEqual(['app setting AML_WORKSPACE_NAME (read by src/config) is not set']);
  });

  it('catches a setting group dropped from the union', () => {
    const broken = mutate(functionApp, 'controllerSettings, notifyTeamsSettings', 'notifyTeamsSettings');
    const problems = checkAppSettings(broken, required);
    expect(problems).toContain('app setting AZURE_SUBSCRIPTION_ID (read by src/config) is not set');
    expect(problems).toContain('app setting APPROVAL_LINK_SECRET (read by src/config) is not set');
  });

  it('catches a setting Flex Consumption does not allow, and a key-based AzureWebJobsStorage', () => {
    const broken = mutate(
      functionApp,
      'AzureWebJobsStorage__accountName: storageAccountName\n',
      "AzureWebJobsStorage: 'DefaultEndpointsProtocol=https'\n  FUNCTIONS_WORKER_RUNTIME: 'node'\n",
    );
    expect(checkAppSettings(broken, required)).toEqual([
      'app setting FUNCTIONS_WORKER_RUNTIME must not be set on Flex Consumption',
      'AzureWebJobsStorage is a connection string; use the identity-based AzureWebJobsStorage__* settings',
      'identity-based host storage needs AzureWebJobsStorage__accountName',
    ]);
  });

  it('keeps secrets out of plain app settings: APPROVAL_LINK_SECRET and NOTIFY_* are Key Vault references', () => {
    const { names } = appSettingNames(functionApp);
    for (const name of ['APPROVAL_LINK_SECRET', 'NOTIFY_TEAMS_WEBHOOK_URL', 'NOTIFY_SLACK_WEBHOOK_URL', 'NOTIFY_GENERIC_WEBHOOK_URL']) {
      expect(names).toContain(name);
      expect(functionApp).toMatch(new RegExp(`^\\s*${name}: keyVaultReference\\(keyVaultName, secretNames\\.${name}\\)$`, 'm'));
    }
    expect(functionApp).toMatch(/keyVaultReferenceIdentity: identityId/);
    expect(main).toMatch(/@secure\(\)\n@minLength\(32\)[^\n]*\n@description[^\n]*\nparam approvalLinkSecret string/);
  });

  it('selects the Durable Task Scheduler through documented settings when durableBackend asks for it', () => {
    const durable = declarationsOf(parseBicep(functionApp), 'var').find((v) => v.symbol === 'durableSettings');
    expect(durable?.body).toMatch(/^durableBackend == 'durableTaskScheduler' \?/);
    for (const key of [
      'TASKHUB_NAME',
      'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
      'AzureFunctionsJobHost__extensions__durableTask__storageProvider__type',
      'AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName',
    ]) {
      expect(durable?.body).toContain(`${key}:`);
    }
    expect(durable?.body).toContain("storageProvider__type: 'azureManaged'");
    expect(durable?.body).toContain('Authentication=ManagedIdentity;ClientID=${identityClientId}');
    // host.json's hub name and the Bicep default agree, so both backends use the same hub name.
    const hostJson = JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')) as {
      extensions?: { durableTask?: { hubName?: string } };
    };
    expect(main).toContain(`param taskHubName string = '${hostJson.extensions?.durableTask?.hubName}'`);
  });
});

describe('role assignments', () => {
  it('assigns every role of infra/roles.json with its role definition id at the resource its scope names', () => {
    expect(checkRoleAssignments(roleTable, readIfExists, [main, workload])).toEqual([]);
  });

  it('lists every built-in role the controller needs, with the id Microsoft publishes and the right scope', () => {
    for (const required of REQUIRED_BUILT_IN_ROLES) {
      const row = roleTable.roles.find((r) => r.name === required.name);
      expect(row, `${required.name} is required but not in infra/roles.json`).toBeDefined();
      expect({ name: row?.name, id: row?.id, scope: row?.scope, principal: row?.principal }).toEqual({
        ...required,
        principal: 'controller',
      });
    }
  });

  it('catches an assignment loop filtered to the wrong scope', () => {
    const broken = mutate(
      read('modules/ml-workspace-access.bicep'),
      "role.scope == 'mlWorkspace'",
      "role.scope == 'logAnalyticsWorkspace'",
    );
    const problems = checkRoleAssignments(
      roleTable,
      (file) => (file === 'modules/ml-workspace-access.bicep' ? broken : readIfExists(file)),
      [main, workload],
    );
    expect(problems).toContain(
      "scope mlWorkspace: modules/ml-workspace-access.bicep has no var = filter(roleTable.roles, role => role.scope == 'mlWorkspace' && role.principal == 'controller')",
    );
  });

  it('catches an assignment scoped to the wrong resource, with a fixed role id, or with an unstable name', () => {
    let broken = mutate(read('modules/storage.bicep'), /^\s*scope: storage$/m, '\n    scope: blobService');
    broken = mutate(
      broken,
      "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.id)",
      "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')",
    );
    broken = mutate(broken, 'name: guid(storage.id, controllerPrincipalId, role.id)', 'name: guid(controllerPrincipalId)');
    const problems = checkRoleAssignments(roleTable, (file) => (file === 'modules/storage.bicep' ? broken : readIfExists(file)), [
      main,
      workload,
    ]);
    expect(problems).toEqual([
      "scope hostStorage: the assignment loop over hostStorageRoles is not scoped to 'storage'",
      'scope hostStorage: the assignment loop over hostStorageRoles does not use role.id as its role definition',
      'scope hostStorage: assignment names must be guid(storage.id, principal, role.id) so re-deployments are idempotent',
    ]);
  });

  it('catches a role whose scope is not deployed or whose module is missing', () => {
    const table: RoleTable = {
      ...roleTable,
      scopes: {
        ...roleTable.scopes,
        orphan: { description: '', resourceType: 'Microsoft.Web/sites', module: 'modules/missing.bicep', symbol: 'site' },
      },
      roles: [
        ...roleTable.roles,
        { name: 'Reader', id: 'acdd72a7-3385-48ef-bd42-f606fba81ae7', scope: 'orphan', principal: 'controller', why: '' },
      ],
    };
    expect(checkRoleAssignments(table, readIfExists, [main, workload])).toEqual([
      'scope orphan: module modules/missing.bicep does not exist',
    ]);
    const undeployed = checkRoleAssignments(roleTable, readIfExists, [main]);
    expect(undeployed).toContain(
      'scope mlWorkspace: module modules/ml-workspace-access.bicep is not deployed by main.bicep or workload.bicep',
    );
  });
});

describe('Event Grid', () => {
  /** The Event Grid trigger the app registers (functions/ and src/, `app.eventGrid(<name>, ...)`). */
  function eventGridFunctionName(): string {
    const registered = registeredEventGridFunctions([path.join(root, 'functions'), path.join(root, 'src')]);
    expect(
      registered.map((r) => r.name),
      'the app registers exactly one Event Grid trigger',
    ).toHaveLength(1);
    return registered[0]?.name ?? '';
  }

  /** The event type the ingest code parses, when it exports one; otherwise Azure's name. */
  function eventType(): string {
    const file = path.join(root, 'src/ingest/model-registered.ts');
    const exported = existsSync(file)
      ? /export const MODEL_REGISTERED_EVENT_TYPE = '([^']+)'/.exec(readFileSync(file, 'utf8'))?.[1]
      : undefined;
    return exported ?? MODEL_REGISTERED_EVENT_TYPE;
  }

  it('subscribes the registered Event Grid function to ModelRegistered, with dead-lettering, after deploy', () => {
    const name = eventGridFunctionName();
    expect(name).toMatch(/^[A-Za-z][\w-]*$/);
    expect(checkEventSubscription(eventGrid, name, eventType())).toEqual([]);
  });

  it('catches a subscription to another function name', () => {
    expect(checkEventSubscription(eventGrid, 'someOtherFunction')).toEqual([
      "workload.bicep eventGridFunctionName defaults to 'modelRegistered', but the Event Grid function is 'someOtherFunction'",
    ]);
  });

  it('catches a missing dead-letter destination, a wrong event filter and an unconditional subscription', () => {
    let subscription = mutate(
      eventGrid.subscription,
      "'Microsoft.MachineLearningServices.ModelRegistered'",
      "'Microsoft.MachineLearningServices.ModelDeregistered'",
    );
    // A look-alike nested elsewhere does not count as the subscription's dead-letter destination.
    subscription = mutate(subscription, 'deadLetterWithResourceIdentity: {', 'deadLetterIgnored: {');
    const broken = { ...eventGrid, subscription, workload: mutate(workload, '= if (deployEventSubscription) {', '= {') };
    expect(checkEventSubscription(broken, 'modelRegistered')).toEqual([
      'the subscription is not conditional on deployEventSubscription (it must wait until the function exists)',
      `the filter must include exactly ${MODEL_REGISTERED_EVENT_TYPE}, got [Microsoft.MachineLearningServices.ModelDeregistered]`,
      'the subscription has no dead-letter destination',
    ]);
  });

  it('catches a destination that is not the function, and a topic of the wrong type', () => {
    const broken = {
      ...eventGrid,
      topic: mutate(
        eventGrid.topic,
        "topicType: 'Microsoft.MachineLearningServices.Workspaces'",
        "topicType: 'Microsoft.Storage.StorageAccounts'",
      ),
      subscription: mutate(
        eventGrid.subscription,
        "resourceId: '${functionAppId}/functions/${eventGridFunctionName}'",
        'resourceId: functionAppId',
      ),
    };
    expect(checkEventSubscription(broken, 'modelRegistered')).toEqual([
      "the system topic's topicType is not 'Microsoft.MachineLearningServices.Workspaces'",
      "the destination resourceId is not '${<function app id>}/functions/${<function name>}': functionAppId",
    ]);
  });

  it('creates the subscription from the postdeploy hook, not during provisioning', () => {
    expect(workload).toMatch(/^param deployEventSubscription bool = false$/m);
    expect(read('hooks/postdeploy.sh')).toMatch(/^deploy_workload true$/m);
    expect(main).not.toMatch(/Microsoft\.EventGrid/);
  });
});

describe('hosting', () => {
  it('is a Flex Consumption Linux Function App on Node 22 with identity-based deployment storage', () => {
    expect(checkFunctionApp(functionApp, main)).toEqual([]);
  });

  it('catches another Node version', () => {
    const broken = mutate(functionApp, "param nodeVersion string = '22'", "param nodeVersion string = '20'");
    expect(checkFunctionApp(broken, main)).toEqual(["functionAppConfig.runtime.version resolves to '20', not '22'"]);
  });

  it("outputs an API base URL under host.json's route prefix", () => {
    const hostJson = JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')) as { extensions?: { http?: { routePrefix?: string } } };
    const prefix = hostJson.extensions?.http?.routePrefix ?? 'api';
    const apiBaseUrl = declarationsOf(parseBicep(functionApp), 'output').find((o) => o.symbol === 'apiBaseUrl');
    expect(apiBaseUrl?.body).toBe(`'https://\${site.properties.defaultHostName}/${prefix}'`);
    expect(main).toMatch(/^output API_BASE_URL string = functionApp\.outputs\.apiBaseUrl$/m);
  });

  it('turns shared keys off on every storage account', () => {
    expect(checkSharedKeysOff(bicepFiles())).toEqual([]);
    const files = {
      ...bicepFiles(),
      'modules/storage.bicep': mutate(read('modules/storage.bicep'), 'allowSharedKeyAccess: false', 'allowSharedKeyAccess: true'),
    };
    expect(checkSharedKeysOff(files)).toEqual(['modules/storage.bicep: storage account storage does not set allowSharedKeyAccess: false']);
  });

  it('uses dated api-versions everywhere', () => {
    expect(checkApiVersions(bicepFiles())).toEqual([]);
    const files = { 'modules/identity.bicep': mutate(read('modules/identity.bicep'), '@2023-01-31', '@latest') };
    expect(checkApiVersions(files)).toEqual([
      "modules/identity.bicep: resource identity (Microsoft.ManagedIdentity/userAssignedIdentities) has api-version 'latest', not a date",
    ]);
  });

  it('passes the linter rules the tests can apply: no unused params or vars, no secret in outputs, no fixed locations', () => {
    expect(checkLint(bicepFiles())).toEqual([]);
    let broken = mutate(main, 'output KEY_VAULT_NAME string = keyVault.outputs.name', 'output KEY_VAULT_NAME string = approvalLinkSecret');
    broken = mutate(broken, "param policyDir string = 'policies'", "param policyDir string = 'policies'\nparam forgotten string = 'x'");
    const storage = mutate(read('modules/storage.bicep'), /^ {2}location: location$/m, "  location: 'westeurope'");
    expect(checkLint({ 'main.bicep': broken, 'modules/storage.bicep': storage })).toEqual([
      'main.bicep: param forgotten is never used',
      'main.bicep: output KEY_VAULT_NAME exposes the secure param approvalLinkSecret',
      "modules/storage.bicep: resource storage hard-codes location 'westeurope'",
    ]);
  });

  it('describes every parameter of the two entry points (azd and az show these descriptions)', () => {
    for (const [file, text] of [
      ['main.bicep', main],
      ['workload.bicep', workload],
    ] as const) {
      const stripped = text.split('\n');
      for (const param of declarationsOf(parseBicep(text), 'param')) {
        const line = stripped.findIndex((l) => new RegExp(`^param ${param.symbol}\\b`).test(l));
        // The decorators are the lines between the previous blank line (or declaration) and the param.
        const decorators: string[] = [];
        for (let i = line - 1; i >= 0; i--) {
          const previous = stripped[i] ?? '';
          if (previous.trim() === '' || /^(param|var|resource|module|output|targetScope)\b/.test(previous)) break;
          decorators.push(previous);
        }
        expect(
          decorators.some((d) => d.startsWith('@description(')),
          `${file}: param ${param.symbol} has an @description`,
        ).toBe(true);
      }
    }
  });

  it('points every module and loaded file at something that exists', () => {
    expect(checkModulePaths(bicepFiles(), infraDir)).toEqual([]);
    const files = { 'main.bicep': mutate(main, "'modules/storage.bicep'", "'modules/storrage.bicep'") };
    expect(checkModulePaths(files, infraDir)).toEqual([
      'main.bicep: module storage points at modules/storrage.bicep, which does not exist',
    ]);
  });

  it('keeps main.parameters.json and main.bicep in step', () => {
    const parameters = read('main.parameters.json');
    expect(checkParametersFile(parameters, main)).toEqual([]);
    const extra = JSON.stringify({ parameters: { ...JSON.parse(parameters).parameters, nodeVerison: { value: '22' } } });
    expect(checkParametersFile(extra, main)).toEqual(["main.parameters.json sets 'nodeVerison', which main.bicep does not declare"]);
    const missing = JSON.stringify({ parameters: { environmentName: { value: 'x' } } });
    expect(checkParametersFile(missing, main)).toContain(
      "main.bicep param 'amlWorkspaceResourceId' has no default and no value in main.parameters.json",
    );
  });

  it('deploys nothing outside its own resource group from main.bicep (azd down deletes every group a deployment touched)', () => {
    const declarations = parseBicep(main);
    for (const module of declarationsOf(declarations, 'module')) {
      expect(propertyValue(module.body, 'scope'), `module ${module.symbol}`).toBe('rg');
    }
    for (const resource of declarationsOf(declarations, 'resource')) {
      expect(resource.existing || resource.target === 'Microsoft.Resources/resourceGroups', `resource ${resource.symbol}`).toBe(true);
    }
  });

  it("sends the endpoints' traffic, event and console logs to Log Analytics in resource-specific tables", () => {
    const diagnostics = read('modules/endpoint-diagnostics.bicep');
    const setting = declarationsOf(parseBicep(diagnostics), 'resource').find((r) => r.target === 'Microsoft.Insights/diagnosticSettings');
    expect(setting?.body).toMatch(/for \(endpointName, i\) in endpointNames:/);
    expect(propertyValue(setting?.body ?? '', 'scope')).toBe('endpoints[i]');
    for (const category of ['AmlOnlineEndpointTrafficLog', 'AmlOnlineEndpointEventLog', 'AmlOnlineEndpointConsoleLog']) {
      expect(setting?.body).toContain(`category: '${category}'`);
    }
    expect(propertyValue(setting?.body ?? '', 'logAnalyticsDestinationType')).toBe("'Dedicated'");
    expect(workload).toMatch(/^param endpointNames string\[\] = \[\]$/m);
  });
});

describe('azure.yaml', () => {
  const azureYaml = parseYaml(readFileSync(path.join(root, 'azure.yaml'), 'utf8')) as {
    services: Record<string, { project: string; language: string; host: string }>;
    hooks: Record<string, { shell: string; run: string }>;
    infra: { provider: string; path: string; module: string };
  };

  it('deploys the project folder as a TypeScript Function App named api', () => {
    expect(azureYaml.services).toEqual({ api: { project: '.', language: 'ts', host: 'function' } });
    expect(existsSync(path.join(root, azureYaml.infra.path, `${azureYaml.infra.module}.bicep`))).toBe(true);
  });

  it('runs hooks that exist, are executable and are plain POSIX sh', () => {
    expect(Object.keys(azureYaml.hooks).sort()).toEqual(['postdeploy', 'postprovision', 'predown', 'preprovision']);
    for (const [name, hook] of Object.entries(azureYaml.hooks)) {
      const file = path.join(root, hook.run);
      expect(existsSync(file), `${name}: ${hook.run}`).toBe(true);
      expect(statSync(file).mode & 0o111, `${hook.run} is executable`).not.toBe(0);
      expect(hook.shell).toBe('sh');
    }
  });

  it('has hook scripts that parse as POSIX sh and use no bash-only syntax (azd runs them with sh, dash on Debian)', () => {
    const scripts = readdirSync(path.join(infraDir, 'hooks')).filter((f) => f.endsWith('.sh'));
    expect(scripts).toContain('lib.sh');
    for (const script of scripts) {
      const file = path.join(infraDir, 'hooks', script);
      const syntax = spawnSync('sh', ['-n', file], { encoding: 'utf8' });
      expect(syntax.status, `${script}: ${syntax.stderr}`).toBe(0);
      const code = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !/^\s*#/.test(line))
        .join('\n');
      expect(code, script).not.toMatch(/\[\[|\$\{\w+(,,|\^\^)\}|^\s*(declare|local|function)\s|<<<|\$\{\w+\[/m);
    }
  });
});

describe('docs and packaging', () => {
  const docs = readFileSync(path.join(root, 'docs/deploy.md'), 'utf8');

  it('documents every azd environment value main.parameters.json reads and every output the hooks use', () => {
    const parameters = read('main.parameters.json');
    const variables = [...parameters.matchAll(/\$\{(\w+)/g)].map((m) => m[1] ?? '');
    expect(variables.length).toBeGreaterThan(5);
    for (const variable of variables) expect(docs, `docs/deploy.md mentions ${variable}`).toContain(`\`${variable}\``);
    for (const output of declarationsOf(parseBicep(main), 'output')) {
      expect(docs, `docs/deploy.md mentions output ${output.symbol}`).toContain(output.symbol);
    }
    for (const variable of ['AML_ENDPOINT_NAMES', 'AML_ROLLOUT_FUNCTION_WAIT_ATTEMPTS']) expect(docs).toContain(variable);
  });

  it('ships what the app needs in the package (.funcignore leaves out development files and node_modules)', () => {
    const ignored = readFileSync(path.join(root, '.funcignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      // '/x', 'x' and 'x/' all leave out the root's x.
      .map((pattern) => pattern.replace(/^\//, '').replace(/\/$/, ''));
    for (const needed of ['host.json', 'package.json', 'package-lock.json', 'dist', 'src', 'policies']) {
      expect(ignored, `.funcignore must not exclude ${needed}`).not.toContain(needed);
    }
    // Dependencies come from the remote build on Linux, never from the deploying machine.
    expect(ignored).toContain('node_modules');
    expect(ignored).toContain('local.settings.json');
  });
});
