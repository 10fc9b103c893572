/**
 * DeploymentMetricsSource: Azure Monitor platform metrics of one online deployment (CPU and memory
 * utilization, instance count), averaged over its instances. A minute the platform has not
 * reported yet is a row with value null, never a zero.
 */
import type { PlatformMetricsQuery } from './metrics-source';

export type DeploymentMetricsQuery = Omit<PlatformMetricsQuery, 'byDeployment'>;

export interface DeploymentMetricPoint {
  readonly metric: string;
  /** Start of the interval, ISO 8601. */
  readonly timestamp: string;
  readonly value: number | null;
}

export interface DeploymentMetricsSource {
  queryDeploymentMetrics(deploymentResourceId: string, query: DeploymentMetricsQuery): Promise<readonly DeploymentMetricPoint[]>;
}
