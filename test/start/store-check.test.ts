/**
 * npm start --store with a fresh emulator (issue 10, defect 10c): the running rollouts of the store
 * are listed with what will happen and how to avoid it, and the clock resumes from the store's
 * latest time instead of jumping back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InstanceRow } from '../../src/harness/local-runtime/durable/store';
import { DurableStore } from '../../src/harness/local-runtime/durable/store';
import { readStoreSummary, resumeAtMs, staleRolloutWarning, summarize } from '../../src/harness/start/store-check';

function row(over: Partial<InstanceRow>): InstanceRow {
  return {
    instanceId: 'r',
    name: 'rolloutOrchestrator',
    executionId: 'e',
    status: 'Running',
    input: null,
    output: null,
    customStatus: null,
    createdMs: 1_000,
    updatedMs: 2_000,
    parentInstanceId: null,
    parentTaskId: null,
    ...over,
  };
}

describe('what the store holds', () => {
  it('lists running rollouts only, with their phase and endpoint, and the latest time of any instance', () => {
    const summary = summarize([
      row({ instanceId: 'baking', customStatus: JSON.stringify({ phase: 'Baking', endpoint: 'credit' }), updatedMs: 5_000 }),
      row({
        instanceId: 'done',
        status: 'Completed',
        customStatus: JSON.stringify({ phase: 'Promoted', endpoint: 'credit' }),
        updatedMs: 9_000,
      }),
      row({ instanceId: 'new', status: 'Pending', customStatus: null }),
      row({ instanceId: 'odd', customStatus: '{not json' }),
      row({ instanceId: 'lease', name: 'endpointLease', updatedMs: 7_000 }),
    ]);
    expect(summary).toEqual({
      running: [
        { id: 'baking', phase: 'Baking', endpoint: 'credit' },
        { id: 'new', phase: 'Pending', endpoint: '?' },
        { id: 'odd', phase: 'Running', endpoint: '?' },
      ],
      latestMs: 9_000,
    });
  });

  it('warns with the list, what will happen and how to avoid it; says nothing without running rollouts', () => {
    const warning = staleRolloutWarning({ running: [{ id: 'r1', phase: 'Baking', endpoint: 'credit' }], latestMs: 0 }, '.store');
    expect(warning).toContain(
      'the store .store holds 1 running rollout(s) that the emulator, which starts afresh, knows nothing of:\n  - r1 (Baking, endpoint credit)\n',
    );
    expect(warning).toContain('each will notice at its next gate check and roll back');
    expect(warning).toContain('abort them (aml-rollout abort <id>)');
    expect(staleRolloutWarning({ running: [], latestMs: 10 }, '.store')).toBeUndefined();
  });

  it.each([
    ['the store is ahead (an accelerated run): resume there', 50_000, 40_000, 50_000],
    ['the store is behind: now', 10_000, 40_000, 40_000],
    ['an empty store: now', 0, 40_000, 40_000],
  ])('%s', (_name, latestMs, nowMs, expected) => {
    expect(resumeAtMs({ running: [], latestMs }, nowMs)).toBe(expected);
  });

  it('reads nothing from memory or a folder without a store, and an empty store file', () => {
    expect(readStoreSummary(':memory:')).toEqual({ running: [], latestMs: 0 });
    const dir = mkdtempSync(path.join(tmpdir(), 'aml-rollout-store-check-'));
    try {
      expect(readStoreSummary(path.join(dir, 'absent'))).toEqual({ running: [], latestMs: 0 });
      new DurableStore(dir).close();
      expect(readStoreSummary(dir)).toEqual({ running: [], latestMs: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
