/**
 * A host-independent view of an HTTP exchange. The handlers in src/api take an ApiRequest and
 * return an ApiResponse; functions/*.ts adapt @azure/functions' HttpRequest to it. This keeps the
 * handler logic testable without a Functions host and keeps the registrations thin.
 */
import { RolloutError, ValidationError, type ErrorCode } from '../errors';

export interface ApiRequest {
  readonly method: string;
  /** The full request URL (for building absolute links). */
  readonly url: string;
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly query: URLSearchParams;
  /** Header lookup, case-insensitive. */
  header(name: string): string | undefined;
  /** The raw body ('' when none). */
  readonly bodyText: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised as JSON when present. */
  readonly jsonBody?: unknown;
  /** Sent as is (HTML, plain text) when jsonBody is absent. */
  readonly body?: string;
}

interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly field?: string };
}

const STATUS_BY_CODE: Readonly<Partial<Record<ErrorCode, number>>> = {
  InvalidInput: 400,
  InvalidPolicy: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  Gone: 410,
  PayloadTooLarge: 413,
  Throttled: 429,
  Transient: 503,
  Timeout: 504,
};

/**
 * A body over the API's size limit: 413 naming the limit, instead of reading it as empty (which
 * used to answer a misleading 400 such as "holds no events"). Bad input, so its code is InvalidInput.
 */
export class RequestTooLargeError extends ValidationError {
  constructor(limitBytes: number, actualBytes: number) {
    super(
      'body',
      `is ${actualBytes} bytes; this API accepts at most ${limitBytes} bytes (${limitBytes / (1024 * 1024)} MB, Event Grid's own limit for a batch of events)`,
      { code: 'PayloadTooLarge' },
    );
  }
}

function statusForError(error: unknown): number {
  if (error instanceof RolloutError) return STATUS_BY_CODE[error.code] ?? 500;
  return 500;
}

export function errorResponse(error: unknown): ApiResponse {
  const status = statusForError(error);
  const code: ErrorCode = error instanceof RolloutError ? error.code : 'Internal';
  // Internal errors keep their text out of the answer (it may carry URLs or stack details); the log has it.
  const message =
    status === 500 ? 'internal error; see the server log for details' : error instanceof Error ? error.message : String(error);
  const body: ErrorBody = {
    error: { code, message, ...(error instanceof ValidationError && error.path ? { field: error.path } : {}) },
  };
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (status === 401) headers['www-authenticate'] = 'FunctionsKey realm="aml-rollout"';
  if (error instanceof RolloutError && error.retryAfterMs !== undefined)
    headers['retry-after'] = String(Math.ceil(error.retryAfterMs / 1000));
  return { status, headers, jsonBody: body };
}

export function json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, jsonBody: body };
}

export function html(status: number, body: string): ApiResponse {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // Confirmation pages embed no third-party content; forbid framing (clickjacking an approval).
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
    },
    body,
  };
}

/** Parses a JSON body; '' is `undefined`. Bad JSON is a 400 naming the body. */
export function parseJsonBody(request: ApiRequest): unknown {
  const text = request.bodyText.trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ValidationError('body', `is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Builds an ApiRequest from plain parts (tests, and hosts other than @azure/functions). */
export function apiRequest(parts: {
  method: string;
  url: string;
  params?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  body?: string;
}): ApiRequest {
  const lower = new Map(Object.entries(parts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: parts.method.toUpperCase(),
    url: parts.url,
    params: parts.params ?? {},
    query: new URL(parts.url).searchParams,
    header: (name) => lower.get(name.toLowerCase()),
    bodyText: parts.body ?? '',
  };
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
