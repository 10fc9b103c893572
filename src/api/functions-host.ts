/**
 * The glue between @azure/functions and the host-independent handlers: request/response
 * conversion and the composition of ApiDeps from settings and the invocation. functions/*.ts stay
 * thin registrations on top of this.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { getSettings, readEnvironment } from '../config';
import { durableRolloutClient } from '../ingest/durable-client-adapter';
import { policyResolver } from '../ingest/policy-resolver';
import { policyRepositoryFor } from '../policy-store/repository';
import { jsonLineLogger, type PolicyResolver, type StructuredLogger } from '../ingest/ports';
import { getAmbientClock } from '../ports/clock';
import type { ModelRegistry } from '../ports/model-registry';
import type { WorkspaceScope } from '../policy';
import { trustsAppServicePrincipal } from './auth';
import type { ApiDeps } from './deps';
import { RequestTooLargeError, type ApiRequest, type ApiResponse } from './http';

/** Upper bound on bodies we read (events and API bodies are small; Event Grid caps a batch at 1 MB). */
export const MAX_BODY_BYTES = 1024 * 1024;

export async function toApiRequest(request: HttpRequest): Promise<ApiRequest> {
  const method = request.method.toUpperCase();
  const declared = Number(request.headers.get('content-length') ?? '0');
  // Refuse on the declared length before reading; a chunked body (no length) is measured once read.
  if (declared > MAX_BODY_BYTES) throw new RequestTooLargeError(MAX_BODY_BYTES, declared);
  const bodyText = ['GET', 'HEAD', 'OPTIONS'].includes(method) ? '' : await request.text();
  const actual = Buffer.byteLength(bodyText, 'utf8');
  if (actual > MAX_BODY_BYTES) throw new RequestTooLargeError(MAX_BODY_BYTES, actual);
  const url = new URL(request.url);
  return {
    method,
    url: request.url,
    params: { ...request.params },
    query: url.searchParams,
    header: (name) => request.headers.get(name) ?? undefined,
    bodyText,
  };
}

export function toHttpResponse(response: ApiResponse): HttpResponseInit {
  return {
    status: response.status,
    headers: { ...(response.headers ?? {}) },
    ...(response.jsonBody !== undefined
      ? { body: JSON.stringify(response.jsonBody, null, 2) }
      : response.body !== undefined
        ? { body: response.body }
        : {}),
  };
}

function contextLogger(context: InvocationContext): StructuredLogger {
  return jsonLineLogger((level, line) => {
    if (level === 'error') context.error(line);
    else if (level === 'warn') context.warn(line);
    else context.info(line);
  });
}

/** The platform's own variables (WEBSITE_*), set by App Service, read here for trustsAppServicePrincipal. */
function clientPrincipalTrusted(configured: boolean): boolean {
  return trustsAppServicePrincipal({
    configured,
    inAppService: readEnvironment('WEBSITE_INSTANCE_ID') !== undefined,
    platformAuthEnabled: (readEnvironment('WEBSITE_AUTH_ENABLED') ?? '').toLowerCase() === 'true',
  });
}

/** Matching over the process' one policy repository (bare workspace names match only in the configured scope). */
function policyResolverFor(folder: string, home: WorkspaceScope): PolicyResolver {
  return policyResolver(policyRepositoryFor(folder), home);
}

export interface HostDepsOptions {
  /** The model registry of the composition root (src/app), when the app has one. */
  readonly modelRegistry?: () => ModelRegistry | undefined;
  /** Overrides for tests and fixture apps. */
  readonly policies?: PolicyResolver;
}

export function apiDepsFor(context: InvocationContext, options: HostDepsOptions = {}): ApiDeps {
  const settings = getSettings();
  const registry = options.modelRegistry?.();
  return {
    client: durableRolloutClient(df.getClient(context)),
    policies:
      options.policies ??
      policyResolverFor(settings.POLICY_DIR, {
        subscriptionId: settings.AZURE_SUBSCRIPTION_ID,
        resourceGroup: settings.AZURE_RESOURCE_GROUP,
      }),
    clock: getAmbientClock(),
    log: contextLogger(context),
    auth: { apiKey: settings.ROLLOUT_API_KEY, trustClientPrincipal: clientPrincipalTrusted(settings.TRUST_APP_SERVICE_AUTH) },
    workspace: {
      subscriptionId: settings.AZURE_SUBSCRIPTION_ID,
      resourceGroup: settings.AZURE_RESOURCE_GROUP,
      workspace: settings.AML_WORKSPACE_NAME,
    },
    ...(registry ? { modelRegistry: registry } : {}),
    links: {
      secret: settings.APPROVAL_LINK_SECRET,
      ttlMinutes: settings.APPROVAL_LINK_TTL_MINUTES,
      publicBaseUrl: settings.PUBLIC_BASE_URL,
    },
  };
}
