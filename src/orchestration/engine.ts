/**
 * The rollout engine (pure): runs one execution of the rollout orchestration as a cursor, a stack
 * of JSON frames (root first, engine-io.ts "the cursor"). `startExecution` pushes the root frame
 * (execution-machine.ts) and runs; `advance` hands the answer to the command the execution waits
 * at to the top frame's machine and runs on. Running means: call the top frame's machine (by its
 * name, machines.ts), then stop at the command it asks (returned to the interpreter with the
 * immediate commands emitted on the way), push the machine it calls, or pop it and resume its
 * caller with what it returned. The interpreter (rollout-orchestrator.ts) turns the commands into
 * durable tasks and their results into inputs.
 */
import type { Plan } from '../plan/types';
import * as contract from './activity-contracts';
import { rolloutInputSchema, type RolloutInput } from './events';
import { emptyProgress, initialStatus, type EngineState } from './engine-state';
import {
  failureOf,
  type EngineCommand,
  type EngineInput,
  type ExecutionEnd,
  type Frame,
  type Machine,
  type MachineContext,
  type Next,
  type Resume,
} from './engine-io';
import { MACHINES } from './machines';
import { executionFrame } from './execution-machine';

/** The input of every execution after the first. */
export interface ContinuationInput {
  readonly continuation: true;
  readonly state: EngineState;
}

function isContinuation(input: unknown): input is ContinuationInput {
  return typeof input === 'object' && input !== null && (input as { continuation?: unknown }).continuation === true;
}

function startState(input: RolloutInput, now: number): EngineState {
  const status = initialStatus(input, now);
  const plan: Plan = {
    rolloutId: input.rolloutId,
    policyName: input.policyName,
    strategy: 'canary',
    target: { ...input.workspace, endpoint: '' },
    model: { name: input.model.name, version: input.model.version, id: '' },
    baseline: { deployment: '', modelId: '' },
    candidate: { deployment: '' },
    steps: [],
    gates: {},
    notifications: { channels: [], on: [] },
    operators: [],
    approvers: [],
    concurrency: 'queue',
  };
  return {
    version: 1,
    plan,
    mode: 'queued',
    stepIndex: 0,
    progress: emptyProgress(),
    facts: { candidateCreated: false, modelReplaced: false, smokePassed: [], promoted: false, verdictWritten: false },
    status,
    leaseHeld: false,
    input,
    executions: 0,
    carriedApprovals: [],
  };
}

/** An execution in progress: the state, the cursor (the stack of machine frames, root first) and the clock. */
export interface Execution {
  readonly state: EngineState;
  readonly cursor: Frame[];
  /** The orchestration's clock as the last input reported it (the only time the engine knows). */
  nowMs: number;
  /** Set when the root frame returned: how this execution ends. */
  end?: ExecutionEnd;
}

/** The immediate commands emitted on the way, then the command the execution now waits at (none once it has ended). */
export interface Advanced {
  readonly execution: Execution;
  readonly commands: readonly EngineCommand[];
}

/**
 * Runs the machines from the top frame until one stops at a command or the root returns. A thrown
 * error pops its frame and resumes the caller with `failed` (a caller that does not handle it
 * rethrows, as code without try/catch would); past the root it fails the orchestration.
 */
function run(execution: Execution, first: Resume): Advanced {
  const commands: EngineCommand[] = [];
  const ctx: MachineContext = { state: execution.state, now: () => execution.nowMs, emit: (command) => commands.push(command) };
  const cursor = execution.cursor;
  let resume = first;
  for (;;) {
    const frame = cursor[cursor.length - 1];
    if (!frame) throw new Error('advance: this execution has ended');
    const entry = MACHINES[frame.machine];
    if (!entry) throw new Error(`advance: no machine named '${frame.machine}'`);
    let next: Next;
    try {
      next = (entry as Machine)(ctx, frame, resume);
    } catch (error) {
      cursor.pop();
      if (cursor.length === 0) throw error;
      resume = { kind: 'failed', failure: failureOf(error), cause: error };
      continue;
    }
    if (next.kind === 'ask') {
      cursor[cursor.length - 1] = next.frame;
      commands.push(next.command);
      return { execution, commands };
    }
    if (next.kind === 'call') {
      cursor[cursor.length - 1] = next.frame;
      cursor.push(next.child);
      resume = { kind: 'enter' };
      continue;
    }
    cursor.pop();
    if (cursor.length === 0) {
      execution.end = next.value as ExecutionEnd;
      return { execution, commands };
    }
    resume = { kind: 'returned', value: next.value };
  }
}

/**
 * Starts one execution: `raw` is the orchestration's input (a RolloutInput, or the state carried
 * by continueAsNew), `startMs` the orchestration's clock when it starts.
 */
export function startExecution(raw: unknown, instanceId: string, startMs: number): Advanced {
  let state: EngineState;
  const continuation = isContinuation(raw);
  if (isContinuation(raw)) {
    state = raw.state;
    state.executions += 1;
  } else {
    const input = contract.parseContract(rolloutInputSchema, raw, `${instanceId} input`);
    state = startState(input, startMs);
  }
  const execution: Execution = { state, cursor: [], nowMs: startMs };
  execution.cursor.push(executionFrame(continuation));
  return run(execution, { kind: 'enter' });
}

/** Hands the answer to the command the execution waits at to its machine and runs on (the execution is changed in place). */
export function advance(execution: Execution, input: EngineInput): Advanced {
  if ('atMs' in input) execution.nowMs = input.atMs;
  return run(execution, { kind: 'input', input });
}
