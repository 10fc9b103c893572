/**
 * The step machines as reducers, by table: (frame, resume) -> the next move and the immediate
 * commands on the way, with every frame a JSON value. The race of a long operation against
 * operator controls is the machine with the most stops (step-machine.ts, callRacingControls).
 */
import { describe, expect, it } from 'vitest';
import { ACTIVITY } from '../../src/orchestration/activity-names';
import type { EngineCommand, EngineInput, Frame, MachineContext, Next, Resume } from '../../src/orchestration/engine-io';
import type { EngineState } from '../../src/orchestration/engine-state';
import { runStepFrame, stepMachines } from '../../src/orchestration/step-machine';
import { activityAnswer, plannedState } from './engine-fixture';

const NOW_MS = Date.UTC(2026, 0, 5, 9);
const deploy = { kind: 'deploy', deployment: 'green', cloneFrom: 'blue', modelId: 'm2' } as const;

function context(state: EngineState): MachineContext & { emitted: EngineCommand[] } {
  const emitted: EngineCommand[] = [];
  return { state, now: () => NOW_MS, emit: (command) => emitted.push(command), emitted };
}

/** Runs the frame's machine once; the frames it hands back must survive JSON unchanged. */
function step(ctx: MachineContext, frame: Frame, resume: Resume): Next {
  const machine = (stepMachines as unknown as Record<string, (c: MachineContext, f: Frame, r: Resume) => Next>)[frame.machine];
  if (!machine) throw new Error(`no step machine '${frame.machine}'`);
  const next = machine(ctx, frame, resume);
  for (const f of next.kind === 'call' ? [next.frame, next.child] : next.kind === 'ask' ? [next.frame] : [])
    expect(JSON.parse(JSON.stringify(f))).toEqual(f);
  return next;
}

const input = (answer: EngineInput): Resume => ({ kind: 'input', input: answer });
const returned = (value: unknown): Resume => ({ kind: 'returned', value });

function framesOf(next: Next): { frame: Frame; child?: Frame } {
  if (next.kind === 'return') throw new Error('expected a stop or a call');
  return next.kind === 'call' ? { frame: next.frame, child: next.child } : { frame: next.frame };
}

describe('a deploy racing operator controls', () => {
  it('an abort during the create: applied at once, then the create settles while listening, and the step reads INTERRUPTED', () => {
    const state = plannedState();
    const ctx = context(state);
    const entered = step(ctx, runStepFrame(deploy), { kind: 'enter' });
    expect(entered.kind).toBe('call');
    expect(state.facts.candidateCreated).toBe(true);
    const runStep = framesOf(entered).frame;
    let race = framesOf(entered).child as Frame;

    let next = step(ctx, race, { kind: 'enter' });
    expect(next).toMatchObject({ kind: 'ask', command: { kind: 'raceActivity', name: ACTIVITY.createDeployment } });
    race = framesOf(next).frame;
    next = step(ctx, race, input({ kind: 'eventArrived', atMs: NOW_MS }));
    expect(next).toMatchObject({ kind: 'ask', command: { kind: 'harvest', controlsOnly: true } });
    race = framesOf(next).frame;
    const abort = { action: 'abort', by: 'alice@x.com', atMs: NOW_MS };
    next = step(ctx, race, input({ kind: 'harvested', controls: [abort], approvals: [] }));
    expect(next).toMatchObject({ kind: 'call', child: { machine: 'applyControls', raw: [abort] } });
    race = framesOf(next).frame;
    next = step(ctx, race, returned({ kind: 'abort', by: 'alice@x.com' }));
    expect(next).toMatchObject({
      kind: 'call',
      frame: { at: 'abortApplied', again: true, settling: true },
      child: { machine: 'apply', happened: { kind: 'stepResult', result: { kind: 'rollback', outcome: 'aborted' } } },
    });
    race = framesOf(next).frame;
    next = step(ctx, race, returned(undefined));
    // Published before the settle race: the status says RollingBack while the create goes on.
    expect(ctx.emitted.map((c) => c.kind)).toEqual(['publish']);
    expect(next).toMatchObject({ kind: 'ask', command: { kind: 'raceAgain' } });
    race = framesOf(next).frame;
    const created = activityAnswer(ACTIVITY.createDeployment, {}, { plan: state.plan });
    next = step(ctx, race, input({ kind: 'activitySucceeded', output: created, atMs: NOW_MS }));
    expect(next).toMatchObject({ kind: 'ask', command: { kind: 'harvest', controlsOnly: true } });
    race = framesOf(next).frame;
    next = step(ctx, race, input({ kind: 'harvested', controls: [], approvals: [] }));
    race = framesOf(next).frame;
    next = step(ctx, race, returned(undefined));
    expect(next).toEqual({ kind: 'return', value: { interrupted: true } });
    expect(ctx.emitted.at(-1)).toEqual({
      kind: 'log',
      message: `${ACTIVITY.createDeployment}, in flight when the abort came, has finished; the rollback undoes it`,
    });

    expect(step(ctx, runStep, returned({ interrupted: true }))).toEqual({ kind: 'return', value: { kind: 'stay' } });
  });

  it("a create that fails before any control: its task is awaited, then its failure is thrown as a plain call's", () => {
    const ctx = context(plannedState());
    let race = framesOf(step(ctx, runStepFrame(deploy), { kind: 'enter' })).child as Frame;
    race = framesOf(step(ctx, race, { kind: 'enter' })).frame;
    const failed: EngineInput = { kind: 'activityFailed', error: { code: 'Conflict', message: 'refused' }, atMs: NOW_MS };
    race = framesOf(step(ctx, race, input(failed))).frame;
    race = framesOf(step(ctx, race, input({ kind: 'harvested', controls: [], approvals: [] }))).frame;
    const next = step(ctx, race, returned(undefined));
    expect(next).toMatchObject({ kind: 'ask', command: { kind: 'awaitActivity' } });
    expect(() => step(ctx, framesOf(next).frame, input(failed))).toThrow('[Conflict] refused');
    expect(ctx.emitted).toEqual([]);
  });
});
