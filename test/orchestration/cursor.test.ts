/**
 * The cursor is plain data and `advance` is a function of it. Over the same random runs as
 * interpreter.test.ts (random-runs.ts), every startExecution / advance is checked on the way:
 *   - after it, the cursor and every frame in it are JSON (plain objects, arrays, strings, finite
 *     numbers, booleans, null, undefined fields) and survive JSON.parse(JSON.stringify(...));
 *     a frame still on the cursor that was there before is unchanged (frames are replaced, never
 *     mutated), and every frame names a machine of machines.ts;
 *   - the same execution deep-cloned before, given the same input, gives the same commands, the
 *     same state, cursor and end (advance is a function of the data, nothing hidden beside it).
 * And a small table of where startExecution stops first.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { EngineCommand, EngineInput, Frame } from '../../src/orchestration/engine-io';
import type { Advanced, Execution } from '../../src/orchestration/engine';
import { startExecution } from '../../src/orchestration/engine';
import { MACHINES } from '../../src/orchestration/machines';
import { ACTIVITY } from '../../src/orchestration/activity-names';
import { runExecution } from './fake-context';
import { plannedState, testInput, testPlan } from './engine-fixture';
import { START_MS, firstInput, runArb, scriptOf } from './random-runs';

/** What the checks found (a failed check inside the orchestrator would be caught as its failure, so they are collected). */
const seen = vi.hoisted(() => ({ violations: [] as string[], advances: 0, frames: 0, twins: 0 }));

vi.mock('../../src/orchestration/engine', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/orchestration/engine')>();
  return {
    ...real,
    startExecution: (raw: unknown, instanceId: string, startMs: number): Advanced => {
      const step = real.startExecution(raw, instanceId, startMs);
      checkCursor(step.execution, new Map());
      return step;
    },
    advance: (execution: Execution, input: EngineInput): Advanced => {
      seen.advances += 1;
      const before = new Map(execution.cursor.map((frame) => [frame, JSON.stringify(frame)]));
      const twin = cloneExecution(execution);
      const step = real.advance(execution, input);
      seen.twins += 1;
      const again = real.advance(twin, structuredClone(input));
      const same =
        isDeepStrictEqual(again.commands, step.commands) &&
        isDeepStrictEqual(twin.state, execution.state) &&
        isDeepStrictEqual(twin.cursor, execution.cursor) &&
        isDeepStrictEqual(twin.end, execution.end);
      if (!same) seen.violations.push(`advance(${input.kind}) differs on a clone: ${kinds(again.commands)} vs ${kinds(step.commands)}`);
      checkCursor(step.execution, before);
      return step;
    },
  };
});

/** The execution as it would come back from storage: state and cursor deep-cloned. */
function cloneExecution(execution: Execution): Execution {
  const { state, cursor, nowMs, end } = structuredClone({
    state: execution.state,
    cursor: execution.cursor,
    nowMs: execution.nowMs,
    end: execution.end,
  });
  return end === undefined ? { state, cursor, nowMs } : { state, cursor, nowMs, end };
}

const kinds = (commands: readonly EngineCommand[]): string => commands.map((command) => command.kind).join(',');

function checkCursor(execution: Execution, before: ReadonlyMap<Frame, string>): void {
  for (const frame of execution.cursor) {
    seen.frames += 1;
    if (MACHINES[frame.machine] === undefined) seen.violations.push(`${frame.machine}@${frame.at} names no machine`);
    const where = notJson(frame, `${frame.machine}@${frame.at}`);
    if (where) seen.violations.push(`not JSON: ${where}`);
    else if (!isDeepStrictEqual(JSON.parse(JSON.stringify(frame)), withoutUndefined(frame)))
      seen.violations.push(`${frame.machine}@${frame.at} changes in a JSON round trip`);
    const was = before.get(frame);
    if (was !== undefined && was !== JSON.stringify(frame)) seen.violations.push(`${frame.machine}@${frame.at} was mutated in place`);
  }
}

/** Where `value` is not plain JSON (undefined only as an object's field), else undefined. */
function notJson(value: unknown, path: string): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? undefined : `${path} = ${String(value)}`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || value[i] === undefined) return `${path}[${i}] is a hole or undefined`;
      const inner = notJson(value[i], `${path}[${i}]`);
      if (inner) return inner;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return `${path} is a ${(value as object).constructor?.name ?? 'class instance'}`;
    for (const [key, field] of Object.entries(value)) {
      if (field === undefined) continue;
      const inner = notJson(field, `${path}.${key}`);
      if (inner) return inner;
    }
    return undefined;
  }
  return `${path} is a ${typeof value}`;
}

/** The value with its undefined fields dropped (what JSON keeps). */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, field]) => field !== undefined)
        .map(([key, field]) => [key, withoutUndefined(field)]),
    );
  return value;
}

describe('the cursor over random runs', () => {
  it('is JSON after every advance, and advance gives the same commands and state on a deep clone of the execution', () => {
    fc.assert(
      fc.property(runArb, (run) => {
        const script = scriptOf(run);
        let input = firstInput(run);
        for (let execution = 0; execution < 12; execution++) {
          seen.violations.length = 0;
          const result = runExecution(input, script, START_MS + execution * 3_600_000);
          expect(seen.violations).toEqual([]);
          expect(result.failure, 'no execution fails the orchestration').toBeUndefined();
          if (result.waitsForEvent || result.continuedAsNew === undefined) return;
          input = result.continuedAsNew;
        }
      }),
      { numRuns: 100, seed: 20261205 },
    );
    // The checks ran: frames were looked at and executions cloned.
    expect(seen.advances).toBeGreaterThan(0);
    expect(seen.frames).toBeGreaterThan(0);
    expect(seen.twins).toBeGreaterThan(0);
  });
});

describe('where an execution stops first', () => {
  const queued = { ...plannedState(testPlan()), mode: 'queued' as const, leaseHeld: false, executions: 0 };
  const table: { name: string; raw: unknown; first: string; stop: string; root: string }[] = [
    { name: 'a new rollout', raw: testInput, first: 'publish', stop: `callActivity ${ACTIVITY.resolveTarget}`, root: 'resolved' },
    {
      name: 'a continuation holding the lease (the supersede check)',
      raw: { continuation: true, state: plannedState(testPlan()) },
      first: 'publish',
      stop: 'callEntity check',
      root: 'checked',
    },
    {
      name: 'a continuation still queued (the lease)',
      raw: { continuation: true, state: queued },
      first: 'publish',
      stop: 'callEntity acquire',
      root: 'unitDone',
    },
  ];
  it.each(table)('$name: $first, then stops at $stop', ({ raw, first, stop, root }) => {
    const { execution, commands } = startExecution(structuredClone(raw), 'i1', START_MS);
    const described = commands.map((command) =>
      command.kind === 'callActivity'
        ? `callActivity ${command.name}`
        : command.kind === 'callEntity'
          ? `callEntity ${command.operation}`
          : command.kind,
    );
    expect(described[0]).toBe(first);
    expect(described[described.length - 1]).toBe(stop);
    expect(described.slice(1, -1).every((kind) => kind === 'publish' || kind === 'log')).toBe(true);
    expect(execution.cursor[0]).toMatchObject({ machine: 'execution', at: root });
    expect(execution.end).toBeUndefined();
  });

  it('a new rollout publishes its Queued status before it resolves the target', () => {
    const { commands } = startExecution(structuredClone(testInput), 'i1', START_MS);
    const published = commands[0];
    expect(published?.kind).toBe('publish');
    if (published?.kind !== 'publish') return;
    expect(published.state.status.updatedAtMs).toBe(START_MS);
    expect(published.state.mode).toBe('queued');
    expect(commands).toHaveLength(2);
  });
});
