/**
 * Signed approval links: an approve URL and a reject URL that an approver can use from a Teams or
 * Slack message without an API key.
 *
 * Token = base64url(payload JSON) "." base64url(HMAC-SHA256(secret, domain + payload)), with
 * payload { v, r: rolloutId, s: step, d: decision, e: expiry (ms), n: nonce }. The HMAC covers the
 * rollout id, step, decision and expiry, so none can be changed without the secret. The nonce is
 * shared by the approve and reject link of one request: whichever is used first consumes both
 * (single use is enforced by the durable ledger in approval-ledger.ts, not here).
 *
 * Hand-written because it is a dozen lines over node:crypto; a JWT library would add algorithm
 * negotiation (and its classic pitfalls) that a single fixed algorithm does not need.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RolloutError, type ErrorCode } from '../errors';
import { safeEqual } from '../common/safe-equal';

type Decision = 'approve' | 'reject';

export interface ApprovalLinkClaims {
  readonly rolloutId: string;
  readonly step: number;
  readonly decision: Decision;
  readonly expiresAtMs: number;
  readonly nonce: string;
}

export type ApprovalLinkProblem =
  'malformed' | 'tampered' | 'expired' | 'replayed' | 'wrongStep' | 'notConfigured' | 'ended' | 'identity' | 'notAnApprover';

/** Each problem's error code, and so its HTTP status (src/api/http.ts maps codes to statuses). */
const CODE_BY_PROBLEM: Readonly<Record<ApprovalLinkProblem, ErrorCode>> = {
  malformed: 'InvalidInput',
  identity: 'InvalidInput',
  tampered: 'Forbidden',
  notAnApprover: 'Forbidden',
  notConfigured: 'NotFound',
  expired: 'Gone',
  replayed: 'Conflict',
  wrongStep: 'Conflict',
  ended: 'Conflict',
};

/** A link that cannot be used; `problem` selects the error code (so the HTTP status) and the page's wording. */
export class ApprovalLinkError extends RolloutError {
  readonly problem: ApprovalLinkProblem;
  /** The link's verified claims, when the signature held (an expired link still names its rollout). */
  readonly claims: ApprovalLinkClaims | undefined;
  constructor(problem: ApprovalLinkProblem, message: string, claims?: ApprovalLinkClaims) {
    super(CODE_BY_PROBLEM[problem], message);
    this.problem = problem;
    this.claims = claims;
  }
}

const SIGNING_DOMAIN = 'aml-rollout/approval-link/v1.';

const payloadSchema = z.strictObject({
  v: z.literal(1),
  r: z.string().min(1),
  s: z.number().int().nonnegative(),
  d: z.enum(['approve', 'reject']),
  e: z.number().int().positive(),
  n: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
});

function sign(secret: string, payloadPart: string): string {
  return createHmac('sha256', secret)
    .update(SIGNING_DOMAIN + payloadPart)
    .digest('base64url');
}

function newLinkNonce(): string {
  return randomBytes(16).toString('base64url');
}

export function signApprovalToken(claims: ApprovalLinkClaims, secret: string): string {
  const payload = { v: 1, r: claims.rolloutId, s: claims.step, d: claims.decision, e: Math.floor(claims.expiresAtMs), n: claims.nonce };
  const payloadPart = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${payloadPart}.${sign(secret, payloadPart)}`;
}

/**
 * Checks signature and expiry. Throws ApprovalLinkError: 'malformed' (not a token), 'tampered'
 * (signature does not match: changed, or signed with another secret), 'expired'.
 */
export function verifyApprovalToken(token: string, secret: string, nowMs: number): ApprovalLinkClaims {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1] || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) {
    throw new ApprovalLinkError('malformed', 'this is not an approval link (the token is malformed)');
  }
  const [payloadPart, signature] = parts as [string, string];
  if (!safeEqual(signature, sign(secret, payloadPart))) {
    throw new ApprovalLinkError(
      'tampered',
      'this approval link is not valid: its signature does not match (altered, or not issued by this controller)',
    );
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    throw new ApprovalLinkError('malformed', 'this approval link is not valid (unreadable payload)');
  }
  const parsed = payloadSchema.safeParse(decoded);
  if (!parsed.success) throw new ApprovalLinkError('malformed', 'this approval link is not valid (unexpected payload)');
  const p = parsed.data;
  const claims: ApprovalLinkClaims = { rolloutId: p.r, step: p.s, decision: p.d, expiresAtMs: p.e, nonce: p.n };
  if (nowMs >= claims.expiresAtMs) {
    throw new ApprovalLinkError('expired', `this approval link expired at ${new Date(claims.expiresAtMs).toISOString()}`, claims);
  }
  return claims;
}

export interface ApprovalLinks {
  readonly approveUrl: string;
  readonly rejectUrl: string;
  readonly expiresAtMs: number;
}

export interface CreateApprovalLinksOptions {
  readonly rolloutId: string;
  readonly step: number;
  readonly expiresAtMs: number;
  /** Public base URL of the app (PUBLIC_BASE_URL), without /api. */
  readonly baseUrl: string;
  readonly secret: string;
  readonly nonce?: string;
}

/** The dashboard, opened on one rollout when given (the page routes on the hash). */
export function dashboardUrl(publicBaseUrl: string, rolloutId?: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/api/dashboard/${rolloutId === undefined ? '' : `#/rollouts/${encodeURIComponent(rolloutId)}`}`;
}

function approvalLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/api/approvals/${token}`;
}

export function createApprovalLinks(options: CreateApprovalLinksOptions): ApprovalLinks {
  const nonce = options.nonce ?? newLinkNonce();
  const common = { rolloutId: options.rolloutId, step: options.step, expiresAtMs: options.expiresAtMs, nonce };
  return {
    approveUrl: approvalLinkUrl(options.baseUrl, signApprovalToken({ ...common, decision: 'approve' }, options.secret)),
    rejectUrl: approvalLinkUrl(options.baseUrl, signApprovalToken({ ...common, decision: 'reject' }, options.secret)),
    expiresAtMs: options.expiresAtMs,
  };
}
