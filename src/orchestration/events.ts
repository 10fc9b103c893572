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

/**
 * The rollout orchestration's input, written by ingestion (Event Grid trigger, CloudEvents webhook,
 * manual POST /api/rollouts). The orchestrator's first activity turns it into a Plan (it reads the
 * policy and the live endpoint), so ingestion stays fast and the plan is recorded in history.
 */
export const rolloutInputSchema = z.object({
  rolloutId: z.string().min(1),
  source: z.enum(['eventGrid', 'cloudEvents', 'manual']),
  /** Who asked (manual starts), or the event's id (Event Grid). */
  requestedBy: z.string().min(1).optional(),
  eventId: z.string().min(1).optional(),
  workspace: z.object({
    subscriptionId: z.string().min(1),
    resourceGroup: z.string().min(1),
    workspace: z.string().min(1),
  }),
  model: z.object({
    name: z.string().min(1),
    version: z.string().min(1),
    tags: z.record(z.string(), z.string()).default({}),
    properties: z.record(z.string(), z.string()).default({}),
  }),
  /** The policy chosen at ingestion (by tag or match). */
  policyName: z.string().min(1),
  receivedAtMs: z.number(),
});
export type RolloutInput = z.infer<typeof rolloutInputSchema>;
