/**
 * MetricsSource: run one Log Analytics (KQL) query over a time window and return its rows.
 * A partial result or a failed query is never data: implementations throw (RolloutError with
 * code 'Transient' / 'Throttled' / 'Timeout' / 'Unsupported') instead of returning what they got.
 */
export interface MetricsQuery {
  /** Complete KQL text, every interpolated value already escaped by src/analysis. */
  readonly kql: string;
  /** The window the query covers (also passed as the API's timespan). */
  readonly fromMs: number;
  readonly toMs: number;
}

/** One scalar cell of a result row. */
export type MetricsScalar = string | number | boolean | null;
/** A cell: a scalar, or an array from a KQL `dynamic` column (make_list, percentiles_array, ...). */
export type MetricsValue = MetricsScalar | readonly MetricsScalar[];
export type MetricsRow = Readonly<Record<string, MetricsValue>>;

export interface MetricsResult {
  readonly rows: readonly MetricsRow[];
}

export interface MetricsSource {
  query(query: MetricsQuery): Promise<MetricsResult>;
}

/** Platform metrics (Azure Monitor metrics, under a minute of delay). */
export interface PlatformMetricsQuery {
  readonly metricNames: readonly string[];
  readonly fromMs: number;
  readonly toMs: number;
  /** ISO 8601 grain, e.g. PT1M. */
  readonly granularity: string;
  readonly aggregation: 'Average' | 'Total' | 'Maximum' | 'Minimum' | 'Count';
  /** Split by deployment. */
  readonly byDeployment: boolean;
}

export interface PlatformMetricsSource {
  queryEndpointMetrics(endpointResourceId: string, query: PlatformMetricsQuery): Promise<readonly MetricsRow[]>;
}
