/**
 * "Does an approval wait on this rollout now?", answered once. The API's approve / reject, the
 * detail's `allowedActions` and the signed link handler all ask this; each only words the answer
 * (a 409 message, an action left out, a link refusal), and the link handler adds its one check of
 * its own: whether the waiting step is the link's step.
 */
import { isLive, type InstanceSummary } from '../ingest/ports';
import { isTerminalPhase } from '../plan/phases';
import type { RolloutStatus } from '../plan/types';
import { displayPhase } from './status-view';

export type ApprovalWait =
  /** The orchestration has ended, or its outcome is reached (a failed delete may still be retried). */
  | { readonly kind: 'ended'; readonly phase: string; readonly reason: string | undefined }
  /** Running, but nothing to decide: no status published yet, or it waits for something else. */
  | { readonly kind: 'none'; readonly status: RolloutStatus | undefined }
  /** The approval of plan step `step` (0-based, the approval event's `step`) waits for an answer. */
  | { readonly kind: 'waits'; readonly step: number; readonly status: RolloutStatus };

export function approvalWait(instance: InstanceSummary, status: RolloutStatus | undefined): ApprovalWait {
  if (!isLive(instance.runtimeStatus) || (status !== undefined && isTerminalPhase(status.phase)))
    return { kind: 'ended', phase: displayPhase(instance, status), reason: status?.reason };
  if (status?.waitingFor?.kind !== 'approval') return { kind: 'none', status };
  return { kind: 'waits', step: status.step.index, status };
}
