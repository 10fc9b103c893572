/**
 * A small client for the rollout HTTP API, used by the CLI. Every non-2xx answer becomes a
 * CliError carrying the API's message (and the field for 400s) and the exit code it maps to.
 * Every 2xx answer is read with the API's own schema for it (src/api/schemas.ts), so a server
 * that answers something else (another version, a proxy's page) is a clear error naming the
 * field, never a crash or a silent `undefined` further down.
 */
import type { z } from 'zod';
import { zodIssuePath } from '../ingest/model-registered';

export const EXIT = {
  ok: 0,
  other: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  auth: 5,
  /** `watch`: the rollout ended without being promoted. */
  notPromoted: 6,
} as const;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export function exitCodeForStatus(status: number): number {
  if (status === 400 || status === 422) return EXIT.usage;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 410) return EXIT.conflict;
  return EXIT.other;
}

export interface ApiClientOptions {
  readonly baseUrl: string;
  readonly key: string | undefined;
  /** An Entra ID access token for App Service authentication, fetched per request (the credential caches it). */
  readonly bearerToken?: () => Promise<string>;
  /** Per-request timeout. */
  readonly timeoutMs?: number;
}

export class ApiClient {
  readonly baseUrl: string;
  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  async request<S extends z.ZodType>(method: string, path: string, answer: S, body?: unknown): Promise<z.output<S>> {
    const url = `${this.baseUrl}${path}`;
    const token = this.options.bearerToken ? await this.options.bearerToken() : undefined;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.options.key ? { 'x-functions-key': this.options.key } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new CliError(`cannot reach ${url}: ${reason} (is the controller running? set --url or AML_ROLLOUT_URL)`, EXIT.other);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { message?: string; field?: string } } | undefined)?.error;
      const message =
        error?.message ?? (parsed as { message?: string } | undefined)?.message ?? (text.slice(0, 300) || response.statusText);
      const hint = response.status === 401 ? ' (pass --key or set AML_ROLLOUT_KEY)' : '';
      throw new CliError(`${method} ${path} failed: HTTP ${response.status}: ${message}${hint}`, exitCodeForStatus(response.status));
    }
    if (parsed === undefined && text !== '')
      throw new CliError(`${method} ${path}: the answer is not JSON: ${text.slice(0, 120)}`, EXIT.other);
    const read = answer.safeParse(parsed);
    if (!read.success) {
      const { path: field, message } = zodIssuePath(read.error);
      throw new CliError(
        `${method} ${path}: the answer is not what this CLI understands: ${field || 'the body'}: ${message} (is the CLI the same version as the controller at ${this.baseUrl}?)`,
        EXIT.other,
      );
    }
    return read.data;
  }
}
