/** What every activity gets: the ports, the clock and the retry policy bound to them. */
import type {
  Clock,
  DeploymentMetricsSource,
  EndpointControl,
  EndpointPrices,
  MetricsSource,
  ModelRegistry,
  Notifier,
  PlatformMetricsSource,
} from '../ports';
import { DEFAULT_ACTIVITY_RETRY, retrying, type ActivityRetryPolicy } from './retry';

export interface ActivityContext {
  readonly endpointControl: EndpointControl;
  readonly metricsSource: MetricsSource;
  readonly modelRegistry: ModelRegistry;
  readonly notifier: Notifier;
  /** Azure Monitor platform metrics (resource checks); absent where no gate needs them (tests). */
  readonly platformMetrics?: (PlatformMetricsSource & DeploymentMetricsSource) | undefined;
  /** Instance prices (the cost check and the rollout's extra cost); absent where nothing is priced. */
  readonly prices?: EndpointPrices | undefined;
  readonly clock: Clock;
  readonly retryPolicy: ActivityRetryPolicy;
  /** Runs one port call with the retry policy (transient errors only). */
  retry<T>(operation: string, fn: () => Promise<T>): Promise<T>;
}

export function createActivityContext(deps: {
  endpointControl: EndpointControl;
  metricsSource: MetricsSource;
  modelRegistry: ModelRegistry;
  notifier: Notifier;
  platformMetrics?: (PlatformMetricsSource & DeploymentMetricsSource) | undefined;
  prices?: EndpointPrices | undefined;
  clock: Clock;
  retryPolicy?: ActivityRetryPolicy;
}): ActivityContext {
  const retryPolicy = deps.retryPolicy ?? DEFAULT_ACTIVITY_RETRY;
  return {
    ...deps,
    retryPolicy,
    retry: (operation, fn) => retrying(deps.clock, retryPolicy, operation, fn),
  };
}
