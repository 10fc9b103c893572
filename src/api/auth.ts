/**
 * Who is calling, and may they do this?
 *
 * Authentication has two layers, as in Azure:
 * - The function key (authLevel 'function'). The Functions host (or the local runtime, when it is
 *   given a key) rejects requests without it before our code runs. When ROLLOUT_API_KEY is set we
 *   also check it here (x-functions-key header or `code` query parameter), so a host started
 *   without key enforcement still does not serve the operator API openly.
 * - App Service authentication ("Easy Auth"). When on, the platform validates the caller's Entra ID
 *   token (the CLI sends one, docs/deploy.md) and injects `x-ms-client-principal` (base64 JSON of
 *   the claims) and `x-ms-client-principal-name`, after stripping any copy a client sent. Those
 *   headers are believed only when TRUST_APP_SERVICE_AUTH is on AND the platform says Easy Auth is
 *   on (see trustsAppServicePrincipal). Locally nothing strips them, so a direct caller could write
 *   any name there: the local runtime never trusts them.
 *
 * The recorded identity is the authenticated principal when there is one, never the body's `by`.
 * A caller with only the key is automation (the CLI without a token, scripts, the simulator): it
 * may act, and its `by` is recorded as given (or `api-key`), marked as claimed, not verified.
 *
 * Authorization: approvers and operators are allow-listed per policy as user principal names
 * (alice@contoso.com) or groups (`group:<name or object id>`). An empty list admits any caller
 * that passed authentication.
 */
import { z } from 'zod';
import { RolloutError } from '../errors';
import { safeEqual } from '../common/safe-equal';
import type { ApiRequest } from './http';

export type Caller =
  | {
      readonly kind: 'principal';
      /** The identity recorded on approvals and overrides (UPN, else preferred_username, else name). */
      readonly id: string;
      /** Every name the principal goes by (lower-cased), matched against allow-lists. */
      readonly names: readonly string[];
      /** Group object ids / names (lower-cased) from the `groups` claims. */
      readonly groups: readonly string[];
    }
  | { readonly kind: 'key' };

export interface AuthOptions {
  /** The key to check (ROLLOUT_API_KEY); undefined leaves key enforcement to the host. */
  readonly apiKey: string | undefined;
  /** Whether x-ms-client-principal can be believed (Easy Auth on, or the local runtime). */
  readonly trustClientPrincipal: boolean;
}

const clientPrincipalSchema = z.object({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })).default([]),
});

function claimKind(typ: string): 'upn' | 'preferred_username' | 'email' | 'name' | 'groups' | undefined {
  const short = typ.toLowerCase().split('/').pop() ?? '';
  if (short === 'upn') return 'upn';
  if (short === 'preferred_username') return 'preferred_username';
  if (short === 'emailaddress' || short === 'email') return 'email';
  if (short === 'name' || short === 'nameidentifier') return short === 'name' ? 'name' : undefined;
  if (short === 'groups' || short === 'groupsid') return 'groups';
  return undefined;
}

/**
 * Whether App Service's principal headers can be believed: the operator asked for it
 * (TRUST_APP_SERVICE_AUTH), the app runs in App Service (WEBSITE_INSTANCE_ID) and the platform says
 * its authentication module is on (WEBSITE_AUTH_ENABLED), which is what strips client-sent copies.
 * Any one missing and a header is a client's claim like any other.
 */
export function trustsAppServicePrincipal(conditions: {
  readonly configured: boolean;
  readonly inAppService: boolean;
  readonly platformAuthEnabled: boolean;
}): boolean {
  return conditions.configured && conditions.inAppService && conditions.platformAuthEnabled;
}

/** Parses the x-ms-client-principal header; a malformed header is a 401, not a silent anonymous caller. */
function parseClientPrincipal(header: string): Caller {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    throw new RolloutError('Unauthorized', 'x-ms-client-principal is not base64-encoded JSON');
  }
  const parsed = clientPrincipalSchema.safeParse(decoded);
  if (!parsed.success) throw new RolloutError('Unauthorized', 'x-ms-client-principal has no valid claims array');
  const byKind = new Map<string, string[]>();
  for (const claim of parsed.data.claims) {
    const kind = claimKind(claim.typ);
    if (!kind || claim.val.trim() === '') continue;
    byKind.set(kind, [...(byKind.get(kind) ?? []), claim.val.trim()]);
  }
  const id = byKind.get('upn')?.[0] ?? byKind.get('preferred_username')?.[0] ?? byKind.get('email')?.[0] ?? byKind.get('name')?.[0];
  if (id === undefined)
    throw new RolloutError('Unauthorized', 'x-ms-client-principal carries no upn, preferred_username, email or name claim');
  const names = [
    ...new Set(['upn', 'preferred_username', 'email', 'name'].flatMap((k) => byKind.get(k) ?? []).map((n) => n.toLowerCase())),
  ];
  const groups = [...new Set((byKind.get('groups') ?? []).map((g) => g.toLowerCase()))];
  return { kind: 'principal', id, names, groups };
}

/** Throws 401 (RolloutError 'Unauthorized') when the key is missing or wrong. */
export function authenticate(request: ApiRequest, options: AuthOptions): Caller {
  if (options.apiKey !== undefined) {
    const presented = request.header('x-functions-key') ?? request.query.get('code') ?? undefined;
    if (presented === undefined || presented === '') {
      throw new RolloutError('Unauthorized', 'missing API key: send it in the x-functions-key header (or the code query parameter)');
    }
    if (!safeEqual(presented, options.apiKey)) throw new RolloutError('Unauthorized', 'invalid API key');
  }
  if (!options.trustClientPrincipal) return { kind: 'key' };
  const principal = request.header('x-ms-client-principal');
  if (principal !== undefined && principal !== '') return parseClientPrincipal(principal);
  // Some providers' principals arrive with the name header only: a verified name, without groups.
  const name = request.header('x-ms-client-principal-name')?.trim();
  if (name) return { kind: 'principal', id: name, names: [name.toLowerCase()], groups: [] };
  return { kind: 'key' };
}

/** Whether a principal is on an allow-list of UPNs and `group:<name or id>` entries. */
export function isAllowed(caller: Caller, allowList: readonly string[]): boolean {
  if (caller.kind === 'key' || allowList.length === 0) return true;
  return allowList.some((entry) => {
    const lower = entry.trim().toLowerCase();
    if (lower.startsWith('group:')) return caller.groups.includes(lower.slice('group:'.length).trim());
    return caller.names.includes(lower);
  });
}

/** A list of people only (no groups): the orchestrator then acts only on decisions whose `by` is on it. */
function isPersonList(list: readonly string[]): boolean {
  return list.length > 0 && !list.some((entry) => entry.trim().toLowerCase().startsWith('group:'));
}

/**
 * Throws 403 when the caller may not act. `keyCallerBy` is the identity a key-only caller claims:
 * against a people-only list it must be on the list, because the orchestrator checks `by` the same
 * way and would otherwise record the action without acting on it (a silent no-op for the caller).
 */
export function authorize(
  caller: Caller,
  allowList: readonly string[],
  role: 'approver' | 'operator',
  what: string,
  keyCallerBy?: string,
): void {
  if (
    caller.kind === 'key' &&
    keyCallerBy !== undefined &&
    isPersonList(allowList) &&
    !allowList.some((a) => a.trim().toLowerCase() === keyCallerBy.toLowerCase())
  ) {
    throw new RolloutError(
      'Forbidden',
      `"${keyCallerBy}" is not an allowed ${role} for ${what}; pass by (CLI --by) with one of: ${allowList.join(', ')}`,
    );
  }
  if (!isAllowed(caller, allowList)) {
    const who = caller.kind === 'principal' ? caller.id : 'caller';
    throw new RolloutError('Forbidden', `${who} is not an allowed ${role} for ${what} (allowed: ${allowList.join(', ')})`);
  }
}

/** The identity to record: the authenticated one when present, never the body's claim over it. */
export function recordedIdentity(caller: Caller, claimedBy: string | undefined): string {
  if (caller.kind === 'principal') return caller.id;
  return claimedBy?.trim() || 'api-key';
}

/** How an identity was established, as answers and records say it. */
export interface IdentityRecord {
  readonly name: string;
  /** True only for a principal from App Service authentication; a typed name is a claim. */
  readonly verified: boolean;
  readonly source: 'appServiceAuth' | 'apiKey' | 'signedLink';
}

export function identityRecord(caller: Caller, claimedBy: string | undefined, via: 'apiKey' | 'signedLink' = 'apiKey'): IdentityRecord {
  if (caller.kind === 'principal') return { name: caller.id, verified: true, source: 'appServiceAuth' };
  return { name: recordedIdentity(caller, claimedBy), verified: false, source: via };
}

/**
 * The comment stored with a decision says how its name was established, so the history shows a
 * claimed name as claimed (the decision event has one `by` field, read by the orchestrator's
 * allow-list check; the note travels in the comment beside it).
 */
export function annotatedComment(identity: IdentityRecord, comment: string | undefined): string | undefined {
  const note =
    identity.source === 'signedLink'
      ? identity.verified
        ? 'via signed link'
        : 'via signed link; name claimed, not verified'
      : identity.verified
        ? undefined
        : 'name claimed by an API key holder, not verified';
  if (note === undefined) return comment;
  return `${comment ? `${comment} ` : ''}(${note})`;
}
