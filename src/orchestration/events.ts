/**
 * External events the rollout orchestrator listens for, and their payload contracts. The API
 * (src/api) raises them through the DurableClient; the orchestrator validates what arrives.
 */
import { z } from 'zod';

export const ORCHESTRATOR_NAME = 'rolloutOrchestrator';

export const APPROVAL_EVENT = 'approval';
export const CONTROL_EVENT = 'control';

export const approvalEventSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  by: z.string().min(1),
  comment: z.string().max(2000).optional(),
  /** The plan step the decision is for; a decision for another step is recorded and ignored. */
  step: z.number().int().nonnegative(),
  /** The rollout the decision is for (guards against a link from an older rollout). */
  rolloutId: z.string().min(1),
  atMs: z.number(),
});
export type ApprovalEvent = z.infer<typeof approvalEventSchema>;

export const controlActionSchema = z.enum(['abort', 'pause', 'resume', 'promote', 'retry']);
export type ControlAction = z.infer<typeof controlActionSchema>;

export const controlEventSchema = z.object({
  action: controlActionSchema,
  by: z.string().min(1),
  comment: z.string().max(2000).optional(),
  atMs: z.number(),
});
export type ControlEvent = z.infer<typeof controlEventSchema>;
