/**
 * One active rollout per endpoint: a durable entity per endpoint holds a FIFO lease. Pure
 * reducer here (unit-tested); functions/rollout-orchestrator.ts registers it as the entity
 * `endpointLease`. A rollout asks `acquire` until granted: queued rollouts wait their turn; with
 * `supersede`, a newer version asks the holder to abort (the orchestrator raises the abort) and
 * takes over once it is released. A version older than the holder's or the last promoted one of
 * the same model is refused ('stale').
 */
import { z } from 'zod';

export interface LeaseRequest {
  readonly rolloutId: string;
  readonly model: string;
  readonly version: string;
  readonly concurrency: 'supersede' | 'queue';
  readonly atMs: number;
}

export interface LeaseState {
  holder?: LeaseRequest;
  queue: LeaseRequest[];
  /** Last promoted version per model (newer-only rule). */
  promoted: Record<string, string>;
  /**
   * Holders asked to step aside, by rollout id. The newer rollout also raises an abort on the
   * holder directly (requestSupersede); this flag is the fallback the holder reads itself at each
   * unit of work, so a supersede is never lost if that event cannot be delivered.
   */
  supersede?: Record<string, { by: string; reason: string }>;
}

/**
 * The entity's answer to `acquire`. A schema, because the orchestration reads it back from the
 * durable history: an answer that does not fit is a failure the decider turns into Failed, never
 * a crash that leaves the lease held.
 */
export const leaseAnswerSchema = z.union([
  z.object({ granted: z.literal(true) }),
  z.object({ granted: z.literal(false), action: z.literal('wait'), holder: z.string(), position: z.number() }),
  z.object({ granted: z.literal(false), action: z.literal('supersede'), holder: z.string() }),
  z.object({ granted: z.literal(false), action: z.literal('stale'), reason: z.string() }),
]);
export type LeaseAnswer = z.infer<typeof leaseAnswerSchema>;

/** The entity's answer to `check`: a supersede request for the holder, or null. */
export const supersedeAnswerSchema = z.object({ by: z.string(), reason: z.string() }).nullable();

export function emptyLease(): LeaseState {
  return { queue: [], promoted: {} };
}

/** Entity key of an endpoint: entity keys are free text, kept readable. */
export function endpointLeaseKey(target: { subscriptionId: string; resourceGroup: string; workspace: string; endpoint: string }): string {
  return `${target.subscriptionId}/${target.resourceGroup}/${target.workspace}/${target.endpoint}`.toLowerCase();
}

/** Numeric-aware version order ("10" > "9"); Azure ML versions are usually integers. */
export function compareVersions(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na === nb ? 0 : na < nb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function acquireLease(state: LeaseState, request: LeaseRequest): { state: LeaseState; answer: LeaseAnswer } {
  const next: LeaseState = {
    holder: state.holder,
    queue: [...state.queue],
    promoted: { ...state.promoted },
    supersede: { ...(state.supersede ?? {}) },
  };
  if (next.holder?.rolloutId === request.rolloutId) return { state: next, answer: { granted: true } };
  const promoted = next.promoted[request.model];
  if (promoted !== undefined && compareVersions(request.version, promoted) <= 0) {
    next.queue = next.queue.filter((r) => r.rolloutId !== request.rolloutId);
    return {
      state: next,
      answer: {
        granted: false,
        action: 'stale',
        reason: `version ${request.version} of ${request.model} is not newer than the promoted version ${promoted}`,
      },
    };
  }
  const holder = next.holder;
  if (holder && holder.model === request.model && compareVersions(request.version, holder.version) < 0) {
    next.queue = next.queue.filter((r) => r.rolloutId !== request.rolloutId);
    return {
      state: next,
      answer: {
        granted: false,
        action: 'stale',
        reason: `version ${request.version} of ${request.model} is older than version ${holder.version}, which is rolling out (${holder.rolloutId})`,
      },
    };
  }
  if (!next.queue.some((r) => r.rolloutId === request.rolloutId)) next.queue.push(request);
  if (!holder && next.queue[0]?.rolloutId === request.rolloutId) {
    next.holder = request;
    next.queue.shift();
    return { state: next, answer: { granted: true } };
  }
  if (holder && request.concurrency === 'supersede' && holder.model === request.model) {
    next.supersede = {
      ...(next.supersede ?? {}),
      [holder.rolloutId]: { by: request.rolloutId, reason: `superseded by ${request.model}:${request.version} (${request.rolloutId})` },
    };
    return { state: next, answer: { granted: false, action: 'supersede', holder: holder.rolloutId } };
  }
  const position = next.queue.findIndex((r) => r.rolloutId === request.rolloutId) + 1;
  return { state: next, answer: { granted: false, action: 'wait', holder: holder?.rolloutId ?? next.queue[0]?.rolloutId ?? '', position } };
}

export interface LeaseRelease {
  readonly rolloutId: string;
  readonly outcome?: string;
  readonly model?: string;
  readonly version?: string;
}

export function releaseLease(state: LeaseState, release: LeaseRelease): LeaseState {
  const supersede = { ...(state.supersede ?? {}) };
  delete supersede[release.rolloutId];
  const next: LeaseState = {
    holder: state.holder,
    queue: state.queue.filter((r) => r.rolloutId !== release.rolloutId),
    promoted: { ...state.promoted },
    supersede,
  };
  if (next.holder?.rolloutId === release.rolloutId) next.holder = undefined;
  if (release.outcome === 'promoted' && release.model && release.version) {
    const previous = next.promoted[release.model];
    if (previous === undefined || compareVersions(release.version, previous) > 0) next.promoted[release.model] = release.version;
  }
  return next;
}

/** Whether the holder was asked to step aside (read by the holder at each unit of work). */
export function supersedeRequest(state: LeaseState, rolloutId: string): { by: string; reason: string } | null {
  return state.supersede?.[rolloutId] ?? null;
}
