/**
 * The interpreter (rollout-orchestrator.ts) holds no logic: it turns each of the engine's
 * commands into its durable tasks and nothing else. The real generator runs on the fake durable
 * context over random activity failures, lease answers and operator / approval events; the
 * engine's commands are recorded on the way (runExecution wrapped), and the durable calls the
 * fake saw must be exactly the ones those commands stand for, in the same order.
 *
 * The same random runs, execution after execution, check the engine as a whole: every published
 * phase change is in the phase table, no execution fails the orchestration (activity and lease
 * entity failures, even right after planning, are the decider's inputs), runs end, and an ended
 * run has freed the lease it held.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { EngineCommand, EngineInput } from '../../src/orchestration/engine-io';
import type { Advanced, Execution } from '../../src/orchestration/engine';
import { action, runExecution } from './fake-context';
import { START_MS, firstInput, runArb, scriptOf } from './random-runs';
import type { EngineState } from '../../src/orchestration/engine-state';
import type { Phase } from '../../src/plan/types';
import { canTransition, isTerminalPhase } from '../../src/plan/phases';

/** The durable calls each command stands for, filled while the engine runs (before the fake sees them). */
const expected = vi.hoisted(() => ({ actions: [] as string[], commands: [] as string[] }));

vi.mock('../../src/orchestration/engine', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/orchestration/engine')>();
  /** The command the execution waits at (the last one handed over). */
  let waitingAt: EngineCommand | undefined;
  function recorded(step: Advanced): Advanced {
    for (const command of step.commands) {
      expected.commands.push(command.kind);
      expected.actions.push(...actionsOf(command, step.execution.nowMs));
    }
    waitingAt = step.commands[step.commands.length - 1];
    if (step.execution.end?.kind === 'continueAsNew') expected.actions.push('continueAsNew');
    return step;
  }
  return {
    ...real,
    startExecution: (raw: unknown, instanceId: string, startMs: number): Advanced => {
      waitingAt = undefined;
      return recorded(real.startExecution(raw, instanceId, startMs));
    },
    advance: (execution: Execution, input: EngineInput): Advanced => {
      // A wait that an event won leaves its timer to be cancelled.
      const timed = (waitingAt?.kind === 'wait' && waitingAt.untilMs !== undefined) || waitingAt?.kind === 'drain';
      if (timed && input.kind === 'eventArrived') expected.actions.push('cancel timer');
      return recorded(real.advance(execution, input));
    },
  };
});

/** What the interpreter must do for one command (the fake's `action` format). */
function actionsOf(command: EngineCommand, clockMs: number): string[] {
  const listen = (name: string): string => action('listen', name);
  switch (command.kind) {
    case 'publish':
      return ['status'];
    case 'log':
    case 'harvest':
    case 'awaitActivity':
      return [];
    case 'signalRelease':
      return [action('signal', 'release', command.input)];
    case 'callActivity':
      return [action(command.retry ? 'activityWithRetry' : 'activity', command.name, command.input)];
    case 'raceActivity':
      return [action('activity', command.name, command.input), listen('control'), action('any', 'activity,event')];
    case 'raceAgain':
      return [listen('control'), action('any', 'activity,event')];
    case 'wait': {
      const timer = command.untilMs === undefined ? [] : [action('timer', String(command.untilMs))];
      const approval = command.approval ? [listen('approval')] : [];
      const kinds = [...(timer.length > 0 ? ['timer'] : []), 'event', ...(command.approval ? ['event'] : [])];
      return [...timer, listen('control'), ...approval, action('any', kinds.join(','))];
    }
    case 'callEntity':
      return [action('entity', command.operation, command.input)];
    case 'drain':
      return [action('timer', String(clockMs)), listen('control'), listen('approval'), action('any', 'timer,event,event')];
  }
}

describe('the interpreter issues exactly the durable tasks the engine commands', () => {
  it('over random failures, lease answers and events, across executions', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(runArb, (run) => {
        const script = scriptOf(run);
        let input = firstInput(run);
        for (let execution = 0; execution < 12; execution++) {
          expected.actions.length = 0;
          expected.commands.length = 0;
          const result = runExecution(input, script, START_MS + execution * 3_600_000);
          expect(result.actions).toEqual(expected.actions);
          for (const kind of expected.commands) seen.add(kind);
          expect(result.failure, 'no execution fails the orchestration').toBeUndefined();
          // Paused, or an approval without a time-out, and no event left in the script: it waits for a person.
          if (result.waitsForEvent) return;
          expect(result.output, 'each execution ends').toBeDefined();
          expect(expected.commands.filter((c) => c === 'drain').length, 'every execution drains').toBeGreaterThan(0);
          if (result.continuedAsNew === undefined) return;
          input = result.continuedAsNew;
        }
      }),
      { numRuns: 150, seed: 20261205 },
    );
    // The random runs reach every command of the vocabulary.
    const vocabulary: EngineCommand['kind'][] = [
      'publish',
      'log',
      'signalRelease',
      'harvest',
      'callActivity',
      'raceActivity',
      'raceAgain',
      'awaitActivity',
      'wait',
      'callEntity',
      'drain',
    ];
    expect([...seen].sort()).toEqual([...vocabulary].sort());
  });
});

describe('random runs of the engine, execution after execution', () => {
  it('every phase change is in the phase table; no execution fails; a run whose lease answers ever grant or refuse ends; every ended run that held the lease has freed it', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        const script = scriptOf(run);
        let input = firstInput(run);
        let held = !run.queued;
        const releases: unknown[] = [];
        let phase: Phase | undefined;
        for (let execution = 0; execution < 120; execution++) {
          const result = runExecution(input, script, START_MS + execution * 3_600_000);
          for (const status of result.statuses) {
            if (phase !== undefined && status.phase !== phase)
              expect(canTransition(phase, status.phase), `${phase} -> ${status.phase}`).toBe(true);
            phase = status.phase;
          }
          releases.push(...result.signals.filter((signal) => signal.operation === 'release'));
          expect(result.failure, 'no execution fails the orchestration').toBeUndefined();
          if (result.waitsForEvent) return;
          const next = result.continuedAsNew as { state: EngineState } | undefined;
          // Held from the start, or granted in any execution (a failure right after is counted too).
          if (script.grants.count > 0) held = true;
          if (next === undefined) {
            // Failed is retryable while the window is open, and stays the phase once it closes.
            const ended = result.output!.phase;
            expect(isTerminalPhase(ended) || ended === 'Failed', `ended in ${ended}`).toBe(true);
            if (held) expect(releases.length).toBeGreaterThan(0);
            return;
          }
          input = next;
        }
        const decisive = run.lease.some((answer) => answer === 'granted' || answer === 'stale');
        // Only a rollout queued behind a holder that never leaves may wait on (its holder would end in reality).
        expect(run.queued && !decisive, 'a run that holds, can get, or is refused the lease ends').toBe(true);
      }),
      { numRuns: 100, seed: 1205 },
    );
  });
});
