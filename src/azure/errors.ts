/**
 * Maps whatever an Azure SDK call throws (RestError from the pipeline, AbortError from a timeout,
 * a Node socket error) onto AzureCallError with a stable code and an honest `retryable`, so that
 * the retry helper and the activities decide on codes, never on message text.
 */
import { isRestError, type RestError } from '@azure/core-rest-pipeline';
import { AzureCallError, RolloutError, type ErrorCode } from '../errors';

/** Socket-level failures where the request may or may not have reached Azure: retry after a wait. */
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'UND_ERR_SOCKET']);
/** Failures before a connection existed (DNS hiccup, listener restarting). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'REQUEST_SEND_ERROR']);

/** Something that carries response headers: a RestError's response or a raw PipelineResponse. */
interface HeaderSource {
  get(name: string): string | undefined;
}

/**
 * Reads how long the service asked us to wait, in ms. Azure sends `Retry-After` (seconds or an
 * HTTP date) and sometimes `retry-after-ms` / `x-ms-retry-after-ms`. `nowMs` turns a date into a
 * delay on the injected clock.
 */
export function parseRetryAfterMs(headers: HeaderSource | undefined, nowMs: number): number | undefined {
  if (!headers) return undefined;
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const raw = headers.get(name);
    if (raw !== undefined && raw.trim() !== '') {
      const value = Number(raw);
      if (Number.isFinite(value) && value >= 0) return value;
    }
  }
  const raw = headers.get('retry-after');
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const dateMs = Date.parse(raw);
  if (Number.isFinite(dateMs)) return Math.max(0, dateMs - nowMs);
  return undefined;
}

export interface ErrorMappingOptions {
  /** Clock time, for Retry-After given as a date. */
  readonly nowMs: number;
  /**
   * How to read a 400. Management writes say the body was invalid (InvalidInput); a log query's
   * 400 means the service cannot run that KQL (Unsupported). Both are not retryable.
   */
  readonly badRequestCode?: ErrorCode;
}

function errorCodeOfBody(error: RestError): string | undefined {
  const details = (error as { details?: unknown }).details;
  if (details && typeof details === 'object') {
    const inner = (details as { error?: { code?: unknown } }).error;
    if (inner && typeof inner.code === 'string') return inner.code;
  }
  return error.code;
}

/** Converts any thrown value from an SDK call into an AzureCallError (RolloutErrors pass through). */
export function toAzureCallError(error: unknown, operation: string, options: ErrorMappingOptions): RolloutError {
  if (error instanceof RolloutError) return error;
  if (isRestError(error)) {
    const status = error.statusCode;
    const azureCode = errorCodeOfBody(error);
    const message = azureCode && !error.message.includes(azureCode) ? `${error.message} (${azureCode})` : error.message;
    const common = { cause: error, statusCode: status, details: azureCode ? { azureCode } : undefined };
    if (status === undefined) {
      const code = error.code ?? '';
      if (TIMEOUT_CODES.has(code)) return new AzureCallError('Timeout', operation, message, { ...common, retryable: true });
      if (NETWORK_CODES.has(code)) return new AzureCallError('Transient', operation, message, { ...common, retryable: true });
      if (/CERT|SELF_SIGNED/.test(code)) {
        // Most likely the emulator's HTTPS listener without its certificate: say how to fix it.
        const hint =
          'TLS certificate not trusted; for the local emulator use its plain-http loopback URL or pass trustedCaPem to createAzurePorts';
        return new AzureCallError('Internal', operation, `${message} (${hint})`, { ...common, retryable: false });
      }
      return new AzureCallError('Internal', operation, message, { ...common, retryable: false });
    }
    const retryAfterMs = parseRetryAfterMs(error.response?.headers, options.nowMs);
    if (status === 400)
      return new AzureCallError(options.badRequestCode ?? 'InvalidInput', operation, message, { ...common, retryable: false });
    if (status === 401) return new AzureCallError('Unauthorized', operation, message, { ...common, retryable: false });
    if (status === 403) return new AzureCallError('Forbidden', operation, message, { ...common, retryable: false });
    if (status === 404) return new AzureCallError('NotFound', operation, message, { ...common, retryable: false });
    if (status === 408) return new AzureCallError('Timeout', operation, message, { ...common, retryable: true, retryAfterMs });
    // 409: the resource is Creating/Updating/Deleting; the same write passes once it is terminal.
    // 412: an ETag race with another writer; reading again and retrying is the fix.
    if (status === 409 || status === 412)
      return new AzureCallError('Conflict', operation, message, { ...common, retryable: true, retryAfterMs });
    if (status === 429) return new AzureCallError('Throttled', operation, message, { ...common, retryable: true, retryAfterMs });
    if (status >= 500) return new AzureCallError('Transient', operation, message, { ...common, retryable: true, retryAfterMs });
    return new AzureCallError('InvalidInput', operation, message, { ...common, retryable: false });
  }
  if (error instanceof Error) {
    // AbortError: our per-request timeout fired (the SDK aborts the socket) or the caller aborted.
    if (error.name === 'AbortError' || error.name === 'TimeoutError') {
      return new AzureCallError('Timeout', operation, error.message || 'request timed out', { cause: error, retryable: true });
    }
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
      return new AzureCallError('Timeout', operation, error.message, { cause: error, retryable: true });
    }
    if (typeof code === 'string' && NETWORK_CODES.has(code)) {
      return new AzureCallError('Transient', operation, error.message, { cause: error, retryable: true });
    }
    return new AzureCallError('Internal', operation, error.message, { cause: error, retryable: false });
  }
  return new AzureCallError('Internal', operation, `unexpected failure: ${String(error)}`, { cause: error, retryable: false });
}
