/**
 * The history an operator sees with showHistory=true, as the Durable extension's DurableClient
 * shapes it: random histories of scheduled, completed, failed and pending tasks, timers,
 * sub-orchestrations and events, checked against what the extension promises.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { event, EventType, type HistoryEvent } from '../../src/harness/local-runtime/durable/history';
import { historyForClient } from '../../src/harness/local-runtime/management-api';

type Step =
  | { kind: 'activity'; name: string; outcome: 'completed' | 'failed' | 'pending' }
  | { kind: 'child'; name: string; outcome: 'completed' | 'failed' | 'pending' }
  | { kind: 'timer' }
  | { kind: 'event'; name: string };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('activity' as const),
    name: fc.constantFrom('score', 'deploy', 'gate'),
    outcome: fc.constantFrom('completed' as const, 'failed' as const, 'pending' as const),
  }),
  fc.record({
    kind: fc.constant('child' as const),
    name: fc.constantFrom('sub', 'cleanup'),
    outcome: fc.constantFrom('completed' as const, 'failed' as const, 'pending' as const),
  }),
  fc.record({ kind: fc.constant('timer' as const) }),
  fc.record({ kind: fc.constant('event' as const), name: fc.constantFrom('approval', 'abort') }),
);

/** One episode per step, as the runtime records them: OrchestratorStarted, the scheduling, OrchestratorCompleted, then the outcome. */
function historyOf(steps: readonly Step[]): { history: HistoryEvent[]; scheduledAt: Map<number, string> } {
  let t = Date.parse('2030-01-01T00:00:00Z');
  const history: HistoryEvent[] = [
    event(EventType.OrchestratorStarted, -1, t),
    event(EventType.ExecutionStarted, -1, t, { Name: 'rollout', Input: '{"id":1}', Version: '' }),
  ];
  const scheduledAt = new Map<number, string>();
  steps.forEach((s, id) => {
    t += 1000;
    history.push(event(EventType.OrchestratorStarted, -1, t));
    if (s.kind === 'activity') history.push(event(EventType.TaskScheduled, id, t, { Name: s.name, Input: `{"step":${id}}` }));
    if (s.kind === 'child')
      history.push(
        event(EventType.SubOrchestrationInstanceCreated, id, t, { Name: s.name, InstanceId: `child-${id}`, Input: `{"step":${id}}` }),
      );
    if (s.kind === 'timer') history.push(event(EventType.TimerCreated, id, t, { FireAt: new Date(t + 60_000).toISOString() }));
    history.push(event(EventType.OrchestratorCompleted, -1, t));
    scheduledAt.set(id, new Date(t).toISOString());
    t += 1000;
    if ((s.kind === 'activity' || s.kind === 'child') && s.outcome !== 'pending') {
      const type =
        s.kind === 'activity'
          ? s.outcome === 'completed'
            ? EventType.TaskCompleted
            : EventType.TaskFailed
          : s.outcome === 'completed'
            ? EventType.SubOrchestrationInstanceCompleted
            : EventType.SubOrchestrationInstanceFailed;
      history.push(
        event(
          type,
          -1,
          t,
          s.outcome === 'completed'
            ? { TaskScheduledId: id, Result: `{"done":${id}}` }
            : { TaskScheduledId: id, Reason: `step ${id} broke`, Details: 'stack' },
        ),
      );
    }
    if (s.kind === 'timer') history.push(event(EventType.TimerFired, -1, t, { TimerId: id, FireAt: new Date(t).toISOString() }));
    if (s.kind === 'event') history.push(event(EventType.EventRaised, -1, t, { Name: s.name, Input: '"yes"' }));
  });
  return { history, scheduledAt };
}

const COMPLETIONS = ['TaskCompleted', 'TaskFailed', 'SubOrchestrationInstanceCompleted', 'SubOrchestrationInstanceFailed'];

describe('showHistory view (DurableClient.GetDurableOrchestrationStatusAsync)', () => {
  it('leaves out episode markers and the scheduling events of finished tasks, and names each completion', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), fc.boolean(), fc.boolean(), (steps, showOutput, showInput) => {
        const { history, scheduledAt } = historyOf(steps);
        const view = historyForClient(history, { showOutput, showInput });
        const types = view.map((e) => e.EventType);
        expect(types).not.toContain('OrchestratorStarted');
        expect(types).not.toContain('OrchestratorCompleted');
        for (const entry of view) {
          for (const hiddenField of ['EventId', 'IsPlayed', 'TaskScheduledId', 'TimerId', 'Version'])
            expect(entry).not.toHaveProperty(hiddenField);
          if (!showInput) expect(entry).not.toHaveProperty('Input');
        }
        // Scheduling events remain only for tasks still running.
        const pendingActivities = steps.filter((s) => s.kind === 'activity' && s.outcome === 'pending').length;
        const pendingChildren = steps.filter((s) => s.kind === 'child' && s.outcome === 'pending').length;
        expect(types.filter((t) => t === 'TaskScheduled')).toHaveLength(pendingActivities);
        expect(types.filter((t) => t === 'SubOrchestrationInstanceCreated')).toHaveLength(pendingChildren);
        // Every completion carries its function's name and the time it was scheduled, in step order.
        const finished = steps.flatMap((s, id) =>
          (s.kind === 'activity' || s.kind === 'child') && s.outcome !== 'pending' ? [{ s, id }] : [],
        );
        const completions = view.filter((e) => COMPLETIONS.includes(e.EventType as string));
        expect(completions.map((e) => [e.FunctionName, e.ScheduledTime])).toEqual(
          finished.map(({ s, id }) => [(s as { name: string }).name, scheduledAt.get(id)]),
        );
        for (const [index, completion] of completions.entries()) {
          const { s, id } = finished[index] as { s: Step; id: number };
          if (showInput) expect(completion.Input).toBe(`{"step":${id}}`);
          const succeeded = (s as { outcome: string }).outcome === 'completed';
          if (succeeded && showOutput) expect(completion.Result).toEqual({ done: id });
          else expect(completion).not.toHaveProperty('Result');
          if (!succeeded) expect(completion.Reason).toBe(`step ${id} broke`);
        }
        // The orchestration's own start names it FunctionName; timers and events stay.
        expect(view[0]).toMatchObject({ EventType: 'ExecutionStarted', FunctionName: 'rollout' });
        expect(view[0]).not.toHaveProperty('Name');
        expect(types.filter((t) => t === 'TimerCreated')).toHaveLength(steps.filter((s) => s.kind === 'timer').length);
        expect(types.filter((t) => t === 'EventRaised')).toHaveLength(steps.filter((s) => s.kind === 'event').length);
        expect(view).toHaveLength(history.length - (1 + 2 * steps.length) - finished.length);
      }),
      { numRuns: 200 },
    );
  });
});
