/**
 * Reads Bicep as text, for the infra tests. The Bicep CLI cannot be installed on this machine
 * (it is a downloaded .NET binary) and no npm package parses Bicep without it, so this is a small
 * scanner that knows exactly what the checks need: comments, strings with ${} interpolation,
 * bracket matching, and the top-level declarations (resource, module, param, var, output).
 * It does not validate Bicep; `az bicep build` / `azd provision` do that on a machine with Azure
 * tooling. The checks below return lists of problems, so a test can show that each one fails.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Declaration {
  kind: 'resource' | 'module' | 'param' | 'var' | 'output';
  symbol: string;
  /** resource: the type (without @version); module: the path; param/output: the declared type text. */
  target: string;
  /** resource only: the api-version ('' for nested child declarations that inherit it). */
  apiVersion: string;
  existing: boolean;
  /** The text after '=' (the resource/module body, the var's or param default's expression). */
  body: string;
  /** Whether the declaration is nested in another (child resources). */
  nested: boolean;
}

/** Replaces comments by spaces (keeping offsets and newlines); strings are left intact. */
export function stripComments(text: string): string {
  const out = text.split('');
  let i = 0;
  // Stack of contexts: 'code' (depth of ${ } braces tracked per interpolation), 'string'.
  const stack: ('code' | 'string' | 'interpolation')[] = ['code'];
  const braceDepth: number[] = [0];
  while (i < text.length) {
    const context = stack[stack.length - 1];
    const ch = text[i];
    const next = text[i + 1];
    if (context === 'string') {
      if (ch === '\\') {
        i += 2;
        continue;
      }
      if (ch === '$' && next === '{') {
        stack.push('interpolation');
        braceDepth.push(0);
        i += 2;
        continue;
      }
      if (ch === "'") stack.pop();
      i += 1;
      continue;
    }
    // code or interpolation
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      i = end === -1 ? text.length : end + 3;
      continue;
    }
    if (ch === "'") {
      stack.push('string');
      i += 1;
      continue;
    }
    if (ch === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') out[i++] = ' ';
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      for (; i < stop; i++) if (out[i] !== '\n') out[i] = ' ';
      continue;
    }
    if (context === 'interpolation') {
      if (ch === '{') braceDepth[braceDepth.length - 1]! += 1;
      if (ch === '}') {
        if (braceDepth[braceDepth.length - 1] === 0) {
          stack.pop();
          braceDepth.pop();
        } else {
          braceDepth[braceDepth.length - 1]! -= 1;
        }
      }
    }
    i += 1;
  }
  return out.join('');
}

/**
 * From `start`, reads one expression up to the first newline (or end) at bracket depth 0,
 * skipping strings; returns the end offset. Multi-line objects/arrays/calls are read whole.
 */
function expressionEnd(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const ch = text[i];
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      i = end === -1 ? text.length : end + 3;
      continue;
    }
    if (ch === "'") {
      i = stringEnd(text, i);
      continue;
    }
    if (ch === '{' || ch === '[' || ch === '(') depth += 1;
    else if (ch === '}' || ch === ']' || ch === ')') depth -= 1;
    else if (ch === '\n' && depth <= 0) return i;
    i += 1;
  }
  return text.length;
}

/** Offset just past the single-quoted string starting at `start` (handles escapes and ${}). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === '$' && text[i + 1] === '{') {
      i = interpolationEnd(text, i + 2);
      continue;
    }
    if (ch === "'") return i + 1;
    i += 1;
  }
  return text.length;
}

function interpolationEnd(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "'") {
      i = stringEnd(text, i);
      continue;
    }
    if (ch === '{') depth += 1;
    if (ch === '}') {
      if (depth === 0) return i + 1;
      depth -= 1;
    }
    i += 1;
  }
  return text.length;
}

const declarationPattern = /^([ \t]*)(resource|module|param|var|output)\s+([A-Za-z_]\w*)\b([^=\n]*?)(?:=|$)/gm;

/** Every declaration in a Bicep file, in order. */
export function parseBicep(source: string): Declaration[] {
  const text = stripComments(source);
  const declarations: Declaration[] = [];
  for (const match of text.matchAll(declarationPattern)) {
    const [whole, indent = '', kind, symbol = '', head = ''] = match;
    const afterEquals = match.index + whole.length;
    const hasEquals = whole.endsWith('=');
    const bodyEnd = hasEquals ? expressionEnd(text, afterEquals) : afterEquals;
    const body = hasEquals ? text.slice(afterEquals, bodyEnd).trim() : '';
    const quoted = /'([^']*)'/.exec(head)?.[1] ?? '';
    let target = head.trim();
    let apiVersion = '';
    if (kind === 'resource') {
      const at = quoted.indexOf('@');
      target = at === -1 ? quoted : quoted.slice(0, at);
      apiVersion = at === -1 ? '' : quoted.slice(at + 1);
    } else if (kind === 'module') {
      target = quoted;
    }
    declarations.push({
      kind: kind as Declaration['kind'],
      symbol,
      target,
      apiVersion,
      existing: /\bexisting\b/.test(head),
      body,
      nested: indent.length > 0,
    });
  }
  return declarations;
}

export function declarationsOf(declarations: Declaration[], kind: Declaration['kind']): Declaration[] {
  return declarations.filter((d) => d.kind === kind);
}

function findDeclaration(declarations: Declaration[], kind: Declaration['kind'], symbol: string): Declaration | undefined {
  return declarations.find((d) => d.kind === kind && d.symbol === symbol);
}

/** Keys of object literals written one per line (`KEY: value` or `'KEY': value`) anywhere in `body`. */
export function objectKeys(body: string): string[] {
  const keys: string[] = [];
  for (const match of body.matchAll(/^\s*(?:([A-Za-z_][\w.-]*)|'([^'\n]+)')\s*:(?!:)/gm)) {
    keys.push(match[1] ?? match[2] ?? '');
  }
  return keys;
}

/** The string default of `param <name> <type> = '<value>'`, if it is a plain literal. */
export function paramDefault(declarations: Declaration[], name: string): string | undefined {
  const param = findDeclaration(declarations, 'param', name);
  return param ? /^'([^'$]*)'$/.exec(param.body)?.[1] : undefined;
}

/** Value of `key: <expression>` on one line inside `body` (first occurrence). */
export function propertyValue(body: string, key: string): string | undefined {
  return new RegExp(`^\\s*${key}\\s*:\\s*(.+?)\\s*$`, 'm').exec(body)?.[1];
}

/** Bracket depth at `index` in `text` (strings skipped). */
function depthAt(text: string, index: number): number {
  let depth = 0;
  for (let i = 0; i < index;) {
    const ch = text[i];
    if (ch === "'") {
      i = stringEnd(text, i);
      continue;
    }
    if (ch === '{' || ch === '[' || ch === '(') depth += 1;
    if (ch === '}' || ch === ']' || ch === ')') depth -= 1;
    i += 1;
  }
  return depth;
}

/**
 * The `{ ... }` block of the first `key: {` inside `body` (brackets matched, strings skipped).
 * With `depth`, only a key at that bracket depth counts (1 = a direct property of an object
 * that `body` is).
 */
export function propertyBlock(body: string, key: string, depth?: number): string | undefined {
  const pattern = new RegExp(`(^|[\\s{])${key}\\s*:\\s*\\{`, 'gm');
  const match = [...body.matchAll(pattern)].find((m) => depth === undefined || depthAt(body, m.index) === depth);
  if (!match) return undefined;
  const open = match.index + match[0].length - 1;
  let level = 0;
  for (let i = open; i < body.length;) {
    const ch = body[i];
    if (ch === "'") {
      i = stringEnd(body, i);
      continue;
    }
    if (ch === '{') level += 1;
    if (ch === '}') {
      level -= 1;
      if (level === 0) return body.slice(open, i + 1);
    }
    i += 1;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Checks. Each returns the problems it finds ([] when the text is right).
// ---------------------------------------------------------------------------------------------

/** Flex Consumption rejects or ignores these; the runtime comes from functionAppConfig. */
const FLEX_DEPRECATED_SETTINGS = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
];

/** The app setting names the Function App's `appsettings` config resource can set. */
export function appSettingNames(functionAppBicep: string): { names: string[]; problems: string[] } {
  const declarations = parseBicep(functionAppBicep);
  const config = declarationsOf(declarations, 'resource').find(
    (d) => d.target === 'Microsoft.Web/sites/config' && propertyValue(d.body, 'name') === "'appsettings'",
  );
  if (!config) return { names: [], problems: ["no Microsoft.Web/sites/config resource named 'appsettings'"] };
  const properties = /properties\s*:\s*([\s\S]*)\}\s*$/.exec(config.body)?.[1]?.trim() ?? '';
  const problems: string[] = [];
  const names: string[] = [];
  const union = /^union\(([\s\S]*)\)$/.exec(properties);
  const parts = union
    ? (union[1] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
    : [properties];
  for (const part of parts) {
    if (part.startsWith('{')) {
      names.push(...objectKeys(part));
      continue;
    }
    const variable = findDeclaration(declarations, 'var', part);
    if (!variable) {
      problems.push(`app settings use '${part}', which is not a var of this file`);
      continue;
    }
    names.push(...objectKeys(variable.body));
  }
  return { names, problems };
}

export function checkAppSettings(functionAppBicep: string, required: readonly string[]): string[] {
  const { names, problems } = appSettingNames(functionAppBicep);
  const set = new Set(names);
  for (const name of required) if (!set.has(name)) problems.push(`app setting ${name} (read by src/config) is not set`);
  for (const name of FLEX_DEPRECATED_SETTINGS) {
    if (set.has(name)) problems.push(`app setting ${name} must not be set on Flex Consumption`);
  }
  if (set.has('AzureWebJobsStorage'))
    problems.push('AzureWebJobsStorage is a connection string; use the identity-based AzureWebJobsStorage__* settings');
  for (const name of ['AzureWebJobsStorage__accountName', 'AzureWebJobsStorage__credential', 'AzureWebJobsStorage__clientId']) {
    if (!set.has(name)) problems.push(`identity-based host storage needs ${name}`);
  }
  if (!/AzureWebJobsStorage__credential\s*:\s*'managedidentity'/.test(functionAppBicep)) {
    problems.push("AzureWebJobsStorage__credential must be 'managedidentity'");
  }
  return problems;
}

export interface RoleTable {
  scopes: Record<string, { resourceType: string; module: string; symbol: string; description: string }>;
  roles: { name: string; id: string; scope: string; principal: string; why: string }[];
}

/**
 * Every role of the table is assigned, with its role definition id, at the resource its scope
 * names: the scope's module has an assignment loop over exactly that scope's rows, scoped to the
 * declared resource, and the module is deployed by main.bicep or workload.bicep.
 */
export function checkRoleAssignments(
  table: RoleTable,
  readModule: (relativePath: string) => string | undefined,
  entrypoints: string[],
): string[] {
  const problems: string[] = [];
  const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const deployedModules = new Set(entrypoints.flatMap((text) => declarationsOf(parseBicep(text), 'module').map((m) => m.target)));
  const pairs = new Map<string, Set<string>>();
  for (const role of table.roles) {
    if (!guid.test(role.id)) problems.push(`role ${role.name}: id ${role.id} is not a role definition GUID`);
    if (!table.scopes[role.scope]) problems.push(`role ${role.name}: scope '${role.scope}' is not declared in scopes`);
    const principals = pairs.get(role.scope) ?? new Set<string>();
    principals.add(role.principal);
    pairs.set(role.scope, principals);
  }
  for (const [scopeName, principals] of pairs) {
    const scope = table.scopes[scopeName];
    if (!scope) continue;
    const text = readModule(scope.module);
    if (text === undefined) {
      problems.push(`scope ${scopeName}: module ${scope.module} does not exist`);
      continue;
    }
    if (!deployedModules.has(scope.module))
      problems.push(`scope ${scopeName}: module ${scope.module} is not deployed by main.bicep or workload.bicep`);
    const declarations = parseBicep(text);
    const target = findDeclaration(declarations, 'resource', scope.symbol);
    if (!target) {
      problems.push(`scope ${scopeName}: ${scope.module} declares no resource '${scope.symbol}'`);
      continue;
    }
    if (target.target !== scope.resourceType) {
      problems.push(`scope ${scopeName}: '${scope.symbol}' in ${scope.module} is a ${target.target}, not a ${scope.resourceType}`);
    }
    const tableVar = declarationsOf(declarations, 'var').find((v) => /^loadJsonContent\('\.\.\/roles\.json'\)$/.test(v.body));
    if (!tableVar) {
      problems.push(`scope ${scopeName}: ${scope.module} does not load ../roles.json`);
      continue;
    }
    for (const principal of principals) {
      const filterBody = `filter(${tableVar.symbol}.roles, role => role.scope == '${scopeName}' && role.principal == '${principal}')`;
      const listVar = declarationsOf(declarations, 'var').find((v) => v.body.replace(/\s+/g, ' ') === filterBody);
      if (!listVar) {
        problems.push(`scope ${scopeName}: ${scope.module} has no var = ${filterBody}`);
        continue;
      }
      const assignment = declarationsOf(declarations, 'resource').find(
        (r) =>
          r.target === 'Microsoft.Authorization/roleAssignments' && new RegExp(`for\\s+role\\s+in\\s+${listVar.symbol}\\s*:`).test(r.body),
      );
      if (!assignment) {
        problems.push(`scope ${scopeName}: no role assignment loops over ${listVar.symbol} in ${scope.module}`);
        continue;
      }
      if (propertyValue(assignment.body, 'scope') !== scope.symbol) {
        problems.push(`scope ${scopeName}: the assignment loop over ${listVar.symbol} is not scoped to '${scope.symbol}'`);
      }
      if (
        !/roleDefinitionId\s*:\s*subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions',\s*role\.id\)/.test(assignment.body)
      ) {
        problems.push(`scope ${scopeName}: the assignment loop over ${listVar.symbol} does not use role.id as its role definition`);
      }
      if (!/principalType\s*:\s*'ServicePrincipal'/.test(assignment.body)) {
        problems.push(`scope ${scopeName}: managed identities need principalType 'ServicePrincipal' (avoids replication-delay failures)`);
      }
      const name = propertyValue(assignment.body, 'name') ?? '';
      if (!new RegExp(`^guid\\(${scope.symbol}\\.id,\\s*\\w+,\\s*role\\.id\\)$`).test(name)) {
        problems.push(
          `scope ${scopeName}: assignment names must be guid(${scope.symbol}.id, principal, role.id) so re-deployments are idempotent`,
        );
      }
    }
  }
  return problems;
}

export const MODEL_REGISTERED_EVENT_TYPE = 'Microsoft.MachineLearningServices.ModelRegistered';

export interface EventGridBicep {
  /** modules/model-events.bicep: the system topic. */
  topic: string;
  /** modules/model-registered-subscription.bicep: the subscription. */
  subscription: string;
  /** workload.bicep: deploys both. */
  workload: string;
}

/**
 * The workspace's system topic feeds a ModelRegistered-only subscription to the named Event Grid
 * function, created only once the app is deployed, dead-lettering to a blob container.
 */
export function checkEventSubscription(files: EventGridBicep, functionName: string, eventType = MODEL_REGISTERED_EVENT_TYPE): string[] {
  const problems: string[] = [];
  const topic = declarationsOf(parseBicep(files.topic), 'resource').find(
    (r) => r.target === 'Microsoft.EventGrid/systemTopics' && !r.existing,
  );
  if (!topic) problems.push('no Microsoft.EventGrid/systemTopics resource');
  else if (propertyValue(topic.body, 'topicType') !== "'Microsoft.MachineLearningServices.Workspaces'") {
    problems.push("the system topic's topicType is not 'Microsoft.MachineLearningServices.Workspaces'");
  }

  const workload = parseBicep(files.workload);
  const module = declarationsOf(workload, 'module').find((m) => m.target === 'modules/model-registered-subscription.bicep');
  if (!module) problems.push('workload.bicep does not deploy modules/model-registered-subscription.bicep');
  else {
    if (!/^if\s*\(\s*deployEventSubscription\s*\)/.test(module.body)) {
      problems.push('the subscription is not conditional on deployEventSubscription (it must wait until the function exists)');
    }
    if (!/dependsOn\s*:\s*\[[^\]]*\bdeadLetterAccess\b/.test(module.body)) {
      problems.push("the subscription does not wait for the topic's dead-letter role (dependsOn deadLetterAccess)");
    }
  }

  const subscription = declarationsOf(parseBicep(files.subscription), 'resource').find(
    (r) => r.target === 'Microsoft.EventGrid/systemTopics/eventSubscriptions',
  );
  if (!subscription) return [...problems, 'no Microsoft.EventGrid/systemTopics/eventSubscriptions resource'];
  // Only direct properties of the subscription count (a nested look-alike is not a destination).
  const properties = propertyBlock(subscription.body, 'properties') ?? '';
  const destination = propertyBlock(properties, 'destination', 1) ?? '';
  if (propertyValue(destination, 'endpointType') !== "'AzureFunction'")
    problems.push("the destination endpointType is not 'AzureFunction'");
  const resourceId = propertyValue(destination, 'resourceId') ?? '';
  const functionParam = /^'\$\{\w+\}\/functions\/\$\{(\w+)\}'$/.exec(resourceId)?.[1];
  if (!functionParam)
    problems.push(`the destination resourceId is not '\${<function app id>}/functions/\${<function name>}': ${resourceId}`);
  const workloadDefault = paramDefault(workload, 'eventGridFunctionName');
  if (workloadDefault !== functionName) {
    problems.push(
      `workload.bicep eventGridFunctionName defaults to '${workloadDefault}', but the Event Grid function is '${functionName}'`,
    );
  }
  if (functionParam && module && !new RegExp(`^\\s*${functionParam}\\s*:\\s*eventGridFunctionName$`, 'm').test(module.body)) {
    problems.push(`workload.bicep does not pass eventGridFunctionName to the subscription's ${functionParam}`);
  }
  const includedTypes = /includedEventTypes\s*:\s*\[([^\]]*)\]/.exec(properties)?.[1] ?? '';
  const types = [...includedTypes.matchAll(/'([^']+)'/g)].map((m) => m[1]);
  if (types.length !== 1 || types[0] !== eventType)
    problems.push(`the filter must include exactly ${eventType}, got [${types.join(', ')}]`);
  const deadLetter =
    propertyBlock(properties, 'deadLetterWithResourceIdentity', 1) ?? propertyBlock(properties, 'deadLetterDestination', 1);
  if (!deadLetter) problems.push('the subscription has no dead-letter destination');
  else {
    if (propertyValue(deadLetter, 'endpointType') !== "'StorageBlob'")
      problems.push("the dead-letter destination is not a 'StorageBlob' container");
    if (!propertyValue(deadLetter, 'blobContainerName')) problems.push('the dead-letter destination names no blob container');
    if (!propertyValue(deadLetter, 'resourceId')) problems.push('the dead-letter destination names no storage account');
  }
  return problems;
}

const apiVersionPattern = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

export function checkApiVersions(files: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    for (const resource of declarationsOf(parseBicep(text), 'resource')) {
      if (resource.nested && resource.apiVersion === '') continue;
      if (!apiVersionPattern.test(resource.apiVersion)) {
        problems.push(`${file}: resource ${resource.symbol} (${resource.target}) has api-version '${resource.apiVersion}', not a date`);
      }
    }
  }
  return problems;
}

/** Every `module x '<path>'` points at a file that exists (relative to the file that uses it). */
export function checkModulePaths(files: Record<string, string>, infraDir: string): string[] {
  const problems: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    for (const module of declarationsOf(parseBicep(text), 'module')) {
      if (module.target.startsWith('br:') || module.target.startsWith('br/') || module.target.startsWith('ts:')) continue;
      const resolved = path.resolve(path.dirname(path.join(infraDir, file)), module.target);
      if (!existsSync(resolved)) problems.push(`${file}: module ${module.symbol} points at ${module.target}, which does not exist`);
    }
    for (const load of text.matchAll(/load(?:Json|Text|Yaml)Content\('([^']+)'/g)) {
      const resolved = path.resolve(path.dirname(path.join(infraDir, file)), load[1] ?? '');
      if (!existsSync(resolved)) problems.push(`${file}: loads ${load[1]}, which does not exist`);
    }
  }
  return problems;
}

/** Every parameter of main.parameters.json is declared by main.bicep, and every required param has a value. */
export function checkParametersFile(parametersJson: string, mainBicep: string): string[] {
  const problems: string[] = [];
  const file = JSON.parse(parametersJson) as { parameters?: Record<string, { value?: unknown }> };
  if (!file.parameters) return ['main.parameters.json has no "parameters" object'];
  const params = declarationsOf(parseBicep(mainBicep), 'param');
  const declared = new Set(params.map((p) => p.symbol));
  for (const name of Object.keys(file.parameters)) {
    if (!declared.has(name)) problems.push(`main.parameters.json sets '${name}', which main.bicep does not declare`);
  }
  for (const param of params) {
    if (param.body === '' && !(param.symbol in file.parameters)) {
      problems.push(`main.bicep param '${param.symbol}' has no default and no value in main.parameters.json`);
    }
  }
  return problems;
}

/** Storage accounts refuse shared keys, and nothing reads account keys. */
export function checkSharedKeysOff(files: Record<string, string>): string[] {
  const problems: string[] = [];
  let accounts = 0;
  for (const [file, text] of Object.entries(files)) {
    const stripped = stripComments(text);
    if (/\blistKeys\(/.test(stripped)) problems.push(`${file}: calls listKeys() (shared keys are off; use identities)`);
    if (/AccountKey=/.test(stripped)) problems.push(`${file}: builds a connection string with AccountKey`);
    for (const resource of declarationsOf(parseBicep(text), 'resource')) {
      if (resource.target !== 'Microsoft.Storage/storageAccounts' || resource.existing) continue;
      accounts += 1;
      if (propertyValue(resource.body, 'allowSharedKeyAccess') !== 'false') {
        problems.push(`${file}: storage account ${resource.symbol} does not set allowSharedKeyAccess: false`);
      }
    }
  }
  if (accounts === 0) problems.push('no storage account is declared');
  return problems;
}

/** The Function App is Flex Consumption (FC1), Linux, Node 22, identity-based deployment storage. */
export function checkFunctionApp(functionAppBicep: string, mainBicep: string): string[] {
  const problems: string[] = [];
  const declarations = parseBicep(functionAppBicep);
  const plan = declarationsOf(declarations, 'resource').find((r) => r.target === 'Microsoft.Web/serverfarms');
  if (!plan || !/name\s*:\s*'FC1'/.test(plan.body) || !/tier\s*:\s*'FlexConsumption'/.test(plan.body)) {
    problems.push('the plan is not Flex Consumption (sku FC1, tier FlexConsumption)');
  }
  const site = declarationsOf(declarations, 'resource').find((r) => r.target === 'Microsoft.Web/sites');
  if (!site) return [...problems, 'no Microsoft.Web/sites resource'];
  if (propertyValue(site.body, 'kind') !== "'functionapp,linux'") problems.push("the site's kind is not 'functionapp,linux'");
  if (!/'azd-service-name'\s*:\s*'api'/.test(site.body))
    problems.push("the site is not tagged azd-service-name: 'api' (azd deploys to it by that tag)");
  const runtime = propertyBlock(site.body, 'runtime') ?? '';
  if (propertyValue(runtime, 'name') !== "'node'") problems.push("functionAppConfig.runtime.name is not 'node'");
  const version = propertyValue(runtime, 'version') ?? '';
  const resolved = /^'(.*)'$/.exec(version)?.[1] ?? paramDefault(declarations, version);
  if (resolved !== '22') problems.push(`functionAppConfig.runtime.version resolves to '${resolved}', not '22'`);
  const override = /nodeVersion\s*:\s*(.+)/.exec(mainBicep)?.[1]?.trim();
  if (override !== undefined && override !== "'22'") problems.push(`main.bicep passes nodeVersion ${override}`);
  if (!/authentication\s*:\s*\{\s*type\s*:\s*'UserAssignedIdentity'/.test(site.body)) {
    problems.push('the deployment storage does not authenticate with the user-assigned identity');
  }
  if (!/type\s*:\s*'UserAssigned'/.test(site.body)) problems.push('the site does not run as a user-assigned identity');
  if (propertyValue(site.body, 'httpsOnly') !== 'true') problems.push('the site is not httpsOnly');
  return problems;
}

/**
 * A few of the Bicep linter's rules, which `az bicep lint` would apply: no unused params or vars,
 * no output that carries a @secure() param, no hard-coded resource location.
 */
export function checkLint(files: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, source] of Object.entries(files)) {
    const text = stripComments(source);
    const declarations = parseBicep(source);
    for (const declaration of declarations.filter((d) => d.kind === 'param' || d.kind === 'var')) {
      const uses = [...text.matchAll(new RegExp(`(?<![.\\w])${declaration.symbol}\\b`, 'g'))].length;
      if (uses < 2) problems.push(`${file}: ${declaration.kind} ${declaration.symbol} is never used`);
    }
    const secure = [...text.matchAll(/@secure\(\)\s*\n(?:\s*@[^\n]*\n)*\s*param\s+(\w+)/g)].map((m) => m[1] ?? '');
    for (const output of declarationsOf(declarations, 'output')) {
      for (const name of secure) {
        if (new RegExp(`(?<![.\\w])${name}\\b`).test(output.body))
          problems.push(`${file}: output ${output.symbol} exposes the secure param ${name}`);
      }
    }
    for (const resource of declarationsOf(declarations, 'resource')) {
      const location = propertyValue(resource.body, 'location');
      if (location && /^'[^'$]*'$/.test(location) && location !== "'global'") {
        problems.push(`${file}: resource ${resource.symbol} hard-codes location ${location}`);
      }
    }
  }
  return problems;
}

/** Every .ts file under `dir`, recursively (node_modules and dist excluded). */
function typeScriptFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !/[\\/](node_modules|dist)[\\/]/.test(file));
}

/**
 * The names the app registers Event Grid triggers under: `app.eventGrid(<name>, ...)` in the
 * given folders, where <name> is a string literal or a `const` string declared in those files.
 */
export function registeredEventGridFunctions(dirs: string[]): { name: string; file: string }[] {
  const files = dirs.flatMap(typeScriptFiles).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  const constants = new Map<string, string>();
  for (const { text } of files) {
    for (const match of text.matchAll(/\bconst\s+([A-Za-z_$][\w$]*)\s*(?::\s*string\s*)?=\s*(['"`])([^'"`$]+)\2/g)) {
      constants.set(match[1] ?? '', match[3] ?? '');
    }
  }
  const registrations: { name: string; file: string }[] = [];
  for (const { file, text } of files) {
    for (const match of text.matchAll(/\bapp\.eventGrid\(\s*(?:(['"`])([^'"`]+)\1|([A-Za-z_$][\w$]*))/g)) {
      const name = match[2] ?? constants.get(match[3] ?? '') ?? `<unresolved ${match[3]}>`;
      registrations.push({ name, file });
    }
  }
  return registrations;
}
