/**
 * What continueAsNew carries stays small: the worst case of every bounded list (journal,
 * approvals, overrides, carried decisions) and a model event with many large tags, after
 * carriedState trims what no later execution reads.
 */
import { describe, expect, it } from 'vitest';
import { carriedState } from '../../src/orchestration/engine-state';
import { JOURNAL_LIMIT, RECORD_LIMIT, journal, recordApproval, recordOverride } from '../../src/orchestration/engine-state';
import { compilePlan } from '../../src/plan/compile';
import { parsePolicy } from '../../src/policy';
import { canaryPolicy } from '../policy/fixtures';
import { compileInput } from '../plan/inputs';
import { plannedState } from './engine-fixture';

/** Our budget for the carried state: a few times the 15 KB status budget (src/plan/status-budget.ts). */
const CARRIED_STATE_BUDGET_BYTES = 64 * 1024;
const long = (n: number): string => 'x'.repeat(n);

function worstCase(): ReturnType<typeof plannedState> {
  const state = plannedState(compilePlan(parsePolicy(JSON.stringify(canaryPolicy()), 'inline'), compileInput()));
  const tags: Record<string, string> = {};
  for (let i = 0; i < 50; i++) tags[`tag-${i}`] = long(256);
  state.input = { ...state.input, model: { ...state.input.model, tags, properties: { ...tags } } };
  for (let i = 0; i < 3 * JOURNAL_LIMIT; i++) journal(state, i, long(300));
  for (let i = 0; i < 3 * RECORD_LIMIT; i++) {
    recordApproval(state, {
      step: 1,
      decision: 'approve',
      by: 'alice@x.com',
      atMs: i,
      accepted: false,
      note: long(200),
      comment: long(200),
    });
    recordOverride(state, { action: 'pause', by: 'ops@x.com', atMs: i, step: 1, comment: long(200) });
  }
  for (let i = 0; i < 100; i++)
    state.carriedApprovals.push({ rolloutId: 'r1', step: 1, decision: 'approve', by: 'alice@x.com', atMs: i, comment: long(200) });
  return state;
}

const size = (value: unknown): number => Buffer.byteLength(JSON.stringify({ continuation: true, state: value }), 'utf8');

describe('the state carried by continueAsNew', () => {
  it('stays under its budget in the worst case, after the trim (and would not without it)', () => {
    const untrimmed = size(worstCase());
    const carried = carriedState(worstCase(), 1_000);
    expect(untrimmed).toBeGreaterThan(CARRIED_STATE_BUDGET_BYTES);
    expect(size(carried)).toBeLessThanOrEqual(CARRIED_STATE_BUDGET_BYTES);
  });

  it('keeps the newest carried decisions and says how many it dropped', () => {
    const carried = carriedState(worstCase(), 1_000);
    expect(carried.carriedApprovals).toHaveLength(RECORD_LIMIT);
    expect(carried.carriedApprovals[0]).toMatchObject({ atMs: 100 - RECORD_LIMIT });
    expect(carried.status.journal.at(-1)?.message).toBe(
      `${100 - RECORD_LIMIT} older approval events dropped: only the newest ${RECORD_LIMIT} are carried`,
    );
  });

  it('drops the model event’s tags and properties once planned, and keeps them while a plan may still be made', () => {
    expect(carriedState(worstCase(), 0).input.model).toMatchObject({ tags: {}, properties: {} });
    const queued = worstCase();
    queued.mode = 'queued';
    expect(Object.keys(carriedState(queued, 0).input.model.tags)).toHaveLength(50);
    const failedPlanning = worstCase();
    failedPlanning.mode = 'failedWaiting';
    failedPlanning.failedFrom = 'plan';
    expect(Object.keys(carriedState(failedPlanning, 0).input.model.properties)).toHaveLength(50);
  });
});
