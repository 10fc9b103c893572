/**
 * The production adapters: real Azure SDK clients behind the ports. The same code talks to the
 * local emulator when ARM_ENDPOINT / LOGS_ENDPOINT / METRICS_ENDPOINT point at it (with
 * EMULATOR_TOKEN as the credential). Settings come from src/config only.
 */
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { MetricsClient } from '@azure/monitor-query-metrics';
import type { Settings } from '../config';
import type {
  DeploymentMetricsSource,
  EndpointControl,
  EndpointPrices,
  MetricsSource,
  ModelRegistry,
  PlatformMetricsSource,
} from '../ports';
import { createArmClient, createCredential, createLogsClient, createMetricsClient, isLocalHttpUrl, resolveEndpoints } from './clients';
import { createAdapterContext, type AzureAdapterOptions } from './context';
import { ArmEndpointControl } from './endpoint-control';
import { LogAnalyticsMetricsSource } from './metrics-source';
import { ArmModelRegistry } from './model-registry';
import { AzureMonitorPlatformMetrics } from './platform-metrics';
import { createEndpointPrices } from './price-table';
import { RetailPricesSource } from './retail-prices';

export type { AzureAdapterOptions } from './context';
export { toAzureCallError, parseRetryAfterMs } from './errors';

export interface AzurePorts {
  readonly endpointControl: EndpointControl;
  readonly metricsSource: MetricsSource;
  readonly platformMetrics: PlatformMetricsSource & DeploymentMetricsSource;
  readonly modelRegistry: ModelRegistry;
  /**
   * The same registry over the same clients, trying each call once with no back-off: for the Event
   * Grid trigger and the webhooks, which ask "is this version registered?" inside an open HTTP
   * request. Waiting there would hold the request open (and, on the virtual clock of a simulation,
   * deadlock: the clock does not move while a request is open); a failed answer instead lets Event
   * Grid redeliver with its own back-off (minutes, up to 24 h).
   */
  readonly ingestionModelRegistry: ModelRegistry;
  /** The policy's price table or the public Azure Retail Prices API (PRICES_ENDPOINT overrides its URL). */
  readonly prices: EndpointPrices;
}

/**
 * Builds every Azure-facing port. Throws ConfigurationError for settings that cannot work (plain
 * http to a non-loopback host, a local emulator endpoint without EMULATOR_TOKEN). Clients are
 * created lazily per subscription / metrics region and reused.
 */
export function createAzurePorts(settings: Settings, options: AzureAdapterOptions): AzurePorts {
  const context = createAdapterContext(options);
  const endpoints = resolveEndpoints(settings);
  const credential = createCredential(settings, options.credential);

  const armClients = new Map<string, AzureMachineLearningWorkspaces>();
  const armClient = (subscriptionId: string): AzureMachineLearningWorkspaces => {
    let client = armClients.get(subscriptionId);
    if (!client) {
      client = createArmClient(subscriptionId, credential, endpoints, options.trustedCaPem);
      armClients.set(subscriptionId, client);
    }
    return client;
  };
  const metricsClients = new Map<string, MetricsClient>();
  const metricsClient = (endpoint: string): MetricsClient => {
    let client = metricsClients.get(endpoint);
    if (!client) {
      client = createMetricsClient(endpoint, credential, isLocalHttpUrl(endpoint), options.trustedCaPem);
      metricsClients.set(endpoint, client);
    }
    return client;
  };

  const endpointControl = new ArmEndpointControl({ context, endpoints, credential, armClient });
  return {
    endpointControl,
    metricsSource: new LogAnalyticsMetricsSource(
      context,
      createLogsClient(credential, endpoints, options.trustedCaPem),
      settings.LOG_ANALYTICS_WORKSPACE_ID,
    ),
    platformMetrics: new AzureMonitorPlatformMetrics({
      context,
      metricsClient,
      metricsEndpoint: endpoints.metrics,
      endpointLocation: (ref) => endpointControl.getEndpointLocation(ref),
    }),
    modelRegistry: new ArmModelRegistry(context, armClient),
    ingestionModelRegistry: new ArmModelRegistry({ ...context, maxAttempts: 1 }, armClient),
    prices: createEndpointPrices(
      new RetailPricesSource({
        fetch: globalThis.fetch,
        clock: options.clock,
        ...(settings.PRICES_ENDPOINT === undefined ? {} : { baseUrl: settings.PRICES_ENDPOINT }),
      }),
      (ref) => endpointControl.getEndpointLocation(ref),
    ),
  };
}

/**
 * @public Kept for the platform-metrics gate source a planned gate feature wires in (knip.jsonc says why).
 */
export {
  parseEndpointResourceId,
  parseDeploymentResourceId,
  ENDPOINT_METRICS_NAMESPACE,
  DEPLOYMENT_METRICS_NAMESPACE,
} from './platform-metrics';
