/**
 * MetricsSource over @azure/monitor-query-logs (LogsQueryClient.queryWorkspace).
 *
 * A partial result is never data: a gate that saw half the rows could pass a bad model. So a
 * PartialFailure is thrown as AzureCallError 'Transient' with retryable: true (the usual causes,
 * a shard timing out or a throttled sub-query, pass on a later attempt; a persistent limit uses up
 * the attempts and still throws). A query the service cannot run (HTTP 400: syntax, an unknown
 * operator) is 'Unsupported' and not retryable: the same text will fail the same way.
 */
import { LogsQueryResultStatus, type LogsQueryClient, type LogsTable } from '@azure/monitor-query-logs';
import { AzureCallError, ValidationError } from '../errors';
import type { MetricsQuery, MetricsResult, MetricsRow, MetricsScalar, MetricsSource, MetricsValue } from '../ports';
import { callAzure, type AdapterContext } from './context';

const NUMERIC_TYPES = new Set(['int', 'long', 'real', 'decimal']);

function toScalar(value: unknown): MetricsScalar {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return JSON.stringify(value);
}

/**
 * One cell to the port's value. The SDK has already turned datetime cells into Date (we give ISO
 * text back) and parsed dynamic cells from JSON. Numeric cells Log Analytics cannot express in
 * JSON arrive as "NaN"/"Infinity" text (a percentile over no rows): those become null, "no data".
 */
export function toMetricsValue(value: unknown, columnType: string | undefined): MetricsValue {
  if (columnType === 'dynamic') {
    let parsed = value;
    if (typeof value === 'string') {
      try {
        parsed = JSON.parse(value) as unknown;
      } catch {
        return value;
      }
    }
    if (Array.isArray(parsed)) {
      const flat = parsed.every((item) => item === null || ['string', 'number', 'boolean'].includes(typeof item));
      if (flat) return parsed.map((item: unknown) => toScalar(item));
    }
    return parsed === null || parsed === undefined ? null : typeof parsed === 'object' ? JSON.stringify(parsed) : toScalar(parsed);
  }
  if (columnType !== undefined && NUMERIC_TYPES.has(columnType) && typeof value === 'string') {
    const number = Number(value);
    return value.trim() !== '' && Number.isFinite(number) ? number : null;
  }
  return toScalar(value);
}

/** Column names to values, for every row of a table. */
export function tableToRows(table: LogsTable): MetricsRow[] {
  const columns = table.columnDescriptors;
  return table.rows.map((cells) => {
    const row: Record<string, MetricsValue> = {};
    columns.forEach((column, index) => {
      row[column.name ?? `Column${index + 1}`] = toMetricsValue(cells[index], column.type);
    });
    return row;
  });
}

export function validateQuery(query: MetricsQuery): void {
  if (typeof query.kql !== 'string' || query.kql.trim() === '') throw new ValidationError('query.kql', 'must be non-empty KQL text');
  if (!Number.isFinite(query.fromMs)) throw new ValidationError('query.fromMs', `must be a finite epoch time in ms (got ${query.fromMs})`);
  if (!Number.isFinite(query.toMs)) throw new ValidationError('query.toMs', `must be a finite epoch time in ms (got ${query.toMs})`);
  if (query.toMs <= query.fromMs)
    throw new ValidationError(
      'query.toMs',
      `must be after fromMs (${new Date(query.fromMs).toISOString()} .. ${new Date(query.toMs).toISOString()})`,
    );
}

export class LogAnalyticsMetricsSource implements MetricsSource {
  constructor(
    private readonly context: AdapterContext,
    private readonly client: LogsQueryClient,
    private readonly workspaceId: string,
  ) {}

  async query(query: MetricsQuery): Promise<MetricsResult> {
    validateQuery(query);
    const operation = 'queryLogs';
    return callAzure(
      this.context,
      operation,
      async () => {
        const result = await this.client.queryWorkspace(
          this.workspaceId,
          query.kql,
          { startTime: new Date(query.fromMs), endTime: new Date(query.toMs) },
          {
            // Ask the service to stop before our request timeout would cut the socket.
            serverTimeoutInSeconds: Math.max(1, Math.floor(this.context.requestTimeoutMs / 1000)),
            requestOptions: { timeout: this.context.requestTimeoutMs },
          },
        );
        if (result.status === LogsQueryResultStatus.PartialFailure) {
          const partial = result.partialError;
          throw new AzureCallError('Transient', operation, `partial result refused (${partial.code}): ${partial.message}`, {
            retryable: true,
            details: { azureCode: partial.code, partialRows: result.partialTables.reduce((sum, table) => sum + table.rows.length, 0) },
          });
        }
        if (result.status !== LogsQueryResultStatus.Success) {
          throw new AzureCallError('Internal', operation, `unexpected query status ${String((result as { status: unknown }).status)}`);
        }
        const primary = result.tables[0];
        return { rows: primary ? tableToRows(primary) : [] };
      },
      { badRequestCode: 'Unsupported' },
    );
  }
}
