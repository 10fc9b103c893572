/**
 * The durable record of used approval links: a Durable entity `approvalLinks`, one per rollout,
 * whose state maps each link nonce to the first request that claimed it. Entity operations are
 * processed one at a time and persisted by the Durable backend, so two simultaneous clicks (or a
 * replay after a restart) cannot both win; an in-memory set would forget on restart and would not
 * be shared between scaled-out instances.
 *
 * The client side cannot get a result back from a signal, so a request signals `claim` with its own
 * request id and then reads the entity until the nonce appears: it won if the recorded request id is
 * its own.
 */
import { z } from 'zod';

export const APPROVAL_LEDGER_ENTITY = 'approvalLinks';
export const CLAIM_OPERATION = 'claim';

/** Claims kept per rollout (oldest dropped first); far above the approvals one rollout makes. */
const MAX_CLAIMS = 500;

const linkClaimSchema = z.object({
  nonce: z.string().min(1),
  requestId: z.string().min(1),
  decision: z.enum(['approve', 'reject']),
  step: z.number().int().nonnegative(),
  by: z.string().min(1),
  atMs: z.number(),
});
export type LinkClaim = z.infer<typeof linkClaimSchema>;

export interface LedgerState {
  readonly claims: Readonly<Record<string, LinkClaim>>;
}

export function emptyLedger(): LedgerState {
  return { claims: {} };
}

/** The entity's `claim` operation: first claim of a nonce wins, later ones change nothing. */
export function applyClaim(state: LedgerState, claim: LinkClaim): LedgerState {
  if (state.claims[claim.nonce]) return state;
  const entries = Object.entries(state.claims);
  const kept =
    entries.length >= MAX_CLAIMS ? entries.sort((a, b) => a[1].atMs - b[1].atMs).slice(entries.length - MAX_CLAIMS + 1) : entries;
  return { claims: { ...Object.fromEntries(kept), [claim.nonce]: claim } };
}

/** The entity function body, independent of the durable-functions context type (registered in functions/rollout-api.ts). */
export function ledgerOperation(state: LedgerState | undefined, operation: string, input: unknown): LedgerState {
  const current = state && typeof state === 'object' && 'claims' in state ? state : emptyLedger();
  if (operation !== CLAIM_OPERATION) return current;
  const parsed = linkClaimSchema.safeParse(input);
  return parsed.success ? applyClaim(current, parsed.data) : current;
}
