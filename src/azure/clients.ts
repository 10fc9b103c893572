/**
 * Construction of the SDK clients and their credential, from Settings only (src/config is the
 * only reader of the environment). The same clients talk to Azure or to the local emulator: the
 * *_ENDPOINT settings override where they point.
 */
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { bearerTokenAuthenticationPolicyName, type Pipeline, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { LogsQueryClient } from '@azure/monitor-query-logs';
import { MetricsClient } from '@azure/monitor-query-metrics';
import { ConfigurationError, type Settings } from '../config';

const PUBLIC_ARM_ENDPOINT = 'https://management.azure.com';
const PUBLIC_LOGS_ENDPOINT = 'https://api.loganalytics.io';

/**
 * Every Azure SDK pipeline here runs with its own retries off. Their retry policies wait with
 * real-time setTimeout: on the local runtime's virtual clock such a wait would never be skipped
 * (time advances only when the app is idle on the clock), and a hidden 3x retry would also break
 * the per-call counts and fault-injection semantics of scenarios. withRetries (retry.ts) waits on
 * the injected clock instead.
 */
const NO_SDK_RETRIES = { maxRetries: 0 } as const;

/** A credential that always returns one fixed bearer token (the local emulator's EMULATOR_TOKEN). */
class StaticTokenCredential implements TokenCredential {
  readonly #token: string;
  constructor(token: string) {
    if (token.trim() === '') throw new ConfigurationError('EMULATOR_TOKEN: must not be empty');
    this.#token = token;
  }
  getToken(): Promise<AccessToken> {
    // The token never expires on the emulator; a day ahead keeps the SDK's token cache from refreshing in a loop.
    return Promise.resolve({ token: this.#token, expiresOnTimestamp: Date.now() + 24 * 60 * 60 * 1000, tokenType: 'Bearer' });
  }
}

/** A URL on this machine (localhost, 127.0.0.0/8, ::1): where the local emulator listens. */
function isLoopbackUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const host = parsed.hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** http:// on the loopback: the only place plain HTTP (and so `allowInsecureConnection`) is accepted. */
export function isLocalHttpUrl(url: string): boolean {
  return url.toLowerCase().startsWith('http://') && isLoopbackUrl(url);
}

function checkEndpoint(name: string, url: string | undefined): void {
  if (url === undefined) return;
  const parsed = new URL(url);
  if (parsed.protocol === 'https:') return;
  if (!isLocalHttpUrl(url)) {
    throw new ConfigurationError(
      `${name}: ${url} uses plain http; only https, or http on localhost/127.0.0.1 (the local emulator), is allowed`,
    );
  }
}

export interface ResolvedEndpoints {
  /** ARM base URL without a trailing slash. */
  readonly arm: string;
  /** Log Analytics query API base, including the `/v1` version segment the SDK expects. */
  readonly logs: string;
  /** Metrics data plane; undefined = regional endpoint derived from the resource's location. */
  readonly metrics: string | undefined;
  /** True when the override endpoints are plain http on the loopback. */
  readonly armIsLocal: boolean;
  readonly logsIsLocal: boolean;
  readonly metricsIsLocal: boolean;
  /** True when ARM is on this machine (http or https): the emulator, whose scoring URIs are http. */
  readonly armIsLoopback: boolean;
}

const trimSlash = (url: string): string => url.replace(/\/+$/, '');

export function resolveEndpoints(settings: Settings): ResolvedEndpoints {
  checkEndpoint('ARM_ENDPOINT', settings.ARM_ENDPOINT);
  checkEndpoint('LOGS_ENDPOINT', settings.LOGS_ENDPOINT);
  checkEndpoint('METRICS_ENDPOINT', settings.METRICS_ENDPOINT);
  const arm = trimSlash(settings.ARM_ENDPOINT ?? PUBLIC_ARM_ENDPOINT);
  // LogsQueryClient uses an `endpoint` option verbatim (no version appended), while its default is
  // https://api.loganalytics.io/v1: accept the service root or a URL ending in /v1 alike.
  const logsRoot = trimSlash(settings.LOGS_ENDPOINT ?? PUBLIC_LOGS_ENDPOINT);
  const logs = /\/v1$/i.test(logsRoot) ? logsRoot : `${logsRoot}/v1`;
  const metrics = settings.METRICS_ENDPOINT === undefined ? undefined : trimSlash(settings.METRICS_ENDPOINT);
  return {
    arm,
    logs,
    metrics,
    armIsLocal: isLocalHttpUrl(arm),
    logsIsLocal: isLocalHttpUrl(logs),
    metricsIsLocal: metrics !== undefined && isLocalHttpUrl(metrics),
    armIsLoopback: isLoopbackUrl(arm),
  };
}

/**
 * Credential choice: an injected one (tests, hosts) wins; EMULATOR_TOKEN means the local
 * emulator; AZURE_CLIENT_ID names the Function App's user-assigned managed identity; elsewhere
 * (a developer's machine, CI with federated credentials) DefaultAzureCredential.
 */
export function createCredential(settings: Settings, injected: TokenCredential | undefined): TokenCredential {
  if (injected) return injected;
  if (settings.EMULATOR_TOKEN !== undefined) return new StaticTokenCredential(settings.EMULATOR_TOKEN);
  const endpoints = resolveEndpoints(settings);
  if ([endpoints.arm, endpoints.logs, endpoints.metrics].some((url) => url !== undefined && isLoopbackUrl(url))) {
    // A real Entra token has no business on the local emulator (and must never travel over plain http).
    throw new ConfigurationError(
      'EMULATOR_TOKEN: required when ARM_ENDPOINT, LOGS_ENDPOINT or METRICS_ENDPOINT points at the local emulator (localhost)',
    );
  }
  if (settings.AZURE_CLIENT_ID !== undefined) return new ManagedIdentityCredential({ clientId: settings.AZURE_CLIENT_ID });
  return new DefaultAzureCredential();
}

/**
 * The SDK's bearer policy refuses any non-https URL, whatever allowInsecureConnection says. For
 * the loopback emulator only, swap it for a policy that sets the same Authorization header.
 */
function useLoopbackBearerPolicy(pipeline: Pipeline, credential: TokenCredential, scope: string): void {
  pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
  const policy: PipelinePolicy = {
    name: 'loopbackEmulatorBearerPolicy',
    async sendRequest(request, next) {
      if (!isLocalHttpUrl(request.url) && !request.url.toLowerCase().startsWith('https://')) {
        throw new ConfigurationError(`refusing to send a bearer token over plain http to ${new URL(request.url).host}`);
      }
      const token = await credential.getToken(scope, { abortSignal: request.abortSignal });
      if (token) request.headers.set('Authorization', `Bearer ${token.token}`);
      return next(request);
    },
  };
  pipeline.addPolicy(policy);
}

/**
 * Extra trust for TLS: the emulator's HTTPS listener uses a self-signed certificate made at start;
 * a host that runs it passes that PEM here. Undefined = the system's trust store only.
 */
export type TrustedCaPem = string | undefined;

const tls = (caPem: TrustedCaPem): { tlsOptions?: { ca: string } } => (caPem === undefined ? {} : { tlsOptions: { ca: caPem } });

export function createArmClient(
  subscriptionId: string,
  credential: TokenCredential,
  endpoints: ResolvedEndpoints,
  caPem?: TrustedCaPem,
): AzureMachineLearningWorkspaces {
  const client = new AzureMachineLearningWorkspaces(credential, subscriptionId, {
    ...tls(caPem),
    endpoint: endpoints.arm,
    credentialScopes: `${endpoints.armIsLocal ? PUBLIC_ARM_ENDPOINT : endpoints.arm}/.default`,
    retryOptions: NO_SDK_RETRIES,
    allowInsecureConnection: endpoints.armIsLocal,
  });
  if (endpoints.armIsLocal) useLoopbackBearerPolicy(client.pipeline, credential, `${PUBLIC_ARM_ENDPOINT}/.default`);
  return client;
}

export function createLogsClient(credential: TokenCredential, endpoints: ResolvedEndpoints, caPem?: TrustedCaPem): LogsQueryClient {
  const client = new LogsQueryClient(credential, {
    ...tls(caPem),
    endpoint: endpoints.logs,
    retryOptions: NO_SDK_RETRIES,
    allowInsecureConnection: endpoints.logsIsLocal,
  });
  if (endpoints.logsIsLocal) useLoopbackBearerPolicy(client.pipeline, credential, `${PUBLIC_LOGS_ENDPOINT}/.default`);
  return client;
}

export function createMetricsClient(endpoint: string, credential: TokenCredential, isLocal: boolean, caPem?: TrustedCaPem): MetricsClient {
  const client = new MetricsClient(endpoint, credential, {
    ...tls(caPem),
    retryOptions: NO_SDK_RETRIES,
    allowInsecureConnection: isLocal,
  });
  if (isLocal) useLoopbackBearerPolicy(client.pipeline, credential, 'https://metrics.monitor.azure.com/.default');
  return client;
}
