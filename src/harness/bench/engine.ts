/**
 * The rollout engine's cost (`npm run bench -- engine`): one canary rollout (two bakes, then an
 * approval nobody answers, reminded until it rolls back) driven through
 * startExecution / advance with every activity answering at once (no runtime, no host), so the
 * numbers are the engine's own.
 *  1. advance: microseconds per input, over every execution of the rollout;
 *  2. replay: Durable Functions re-runs an orchestrator from the start on every new history event,
 *     so an execution with k inputs costs k re-runs of 1..k inputs; measured on the longest execution.
 */
import { performance } from 'node:perf_hooks';
import { activityAnswer } from './activity-answers';
import { advance, startExecution, type Advanced } from '../../orchestration/engine';
import type { EngineCommand, EngineInput } from '../../orchestration/engine-io';
import type { RolloutInput } from '../../orchestration/events';
import type { Plan } from '../../plan/types';

const START_MS = Date.parse('2030-01-01T00:00:00Z');
const target = { subscriptionId: 's', resourceGroup: 'g', workspace: 'w', endpoint: 'e' };
const input: RolloutInput = {
  rolloutId: 'bench',
  source: 'manual',
  workspace: { subscriptionId: 's', resourceGroup: 'g', workspace: 'w' },
  model: { name: 'm', version: '2', tags: {}, properties: {} },
  policyName: 'p',
  receivedAtMs: START_MS,
};
const bake = (durationMinutes: number) =>
  ({
    kind: 'bake',
    durationMinutes,
    checkIntervalMinutes: 5,
    gates: [],
    minRequests: 0,
    maxExtensionMinutes: 0,
    noDataOutcome: 'rollback',
  }) as const;
const plan: Plan = {
  rolloutId: 'bench',
  policyName: 'p',
  strategy: 'canary',
  target,
  model: { name: 'm', version: '2', id: 'm2' },
  baseline: { deployment: 'blue', modelId: 'm1' },
  candidate: { deployment: 'green' },
  steps: [
    { kind: 'deploy', deployment: 'green', cloneFrom: 'blue', modelId: 'm2' },
    { kind: 'smokeTest', deployment: 'green', requests: 3, maxFailures: 0, payload: {} },
    { kind: 'setTraffic', traffic: { blue: 90, green: 10 } },
    bake(120),
    { kind: 'setTraffic', traffic: { blue: 50, green: 50 } },
    bake(60),
    // Nobody answers: reminded every five minutes, 30 times, then the rollback.
    {
      kind: 'approval',
      name: 'release',
      timeoutMinutes: 5,
      onTimeout: 'remind',
      reminderIntervalMinutes: 5,
      maxReminders: 30,
      approvers: ['a@x.com'],
    },
    { kind: 'promote' },
    { kind: 'cleanup', deployment: 'blue', afterMinutes: 60 },
  ],
  gates: {},
  notifications: { channels: [], on: [] },
  operators: [],
  approvers: [],
  concurrency: 'queue',
};

/** What the world answers to the command an execution waits at (every task succeeds a second later; timers fire on time). */
function answer(command: EngineCommand | undefined, nowMs: number): EngineInput {
  const atMs = nowMs + 1_000;
  switch (command?.kind) {
    case 'harvest':
      return { kind: 'harvested', controls: [], approvals: [] };
    case 'callActivity':
    case 'raceActivity':
      return { kind: 'activitySucceeded', output: activityAnswer(command.name, command.input, { plan }), atMs };
    case 'callEntity':
      return { kind: 'entityAnswered', answer: command.operation === 'acquire' ? { granted: true } : null, atMs };
    case 'wait':
      if (command.untilMs === undefined) throw new Error('bench: a wait without a timer would never end');
      return { kind: 'timerFired', atMs: Math.max(command.untilMs, nowMs) };
    case 'drain':
      return { kind: 'timerFired', atMs: nowMs };
    default:
      throw new Error(`bench: nothing to answer to ${command?.kind ?? 'no command'}`);
  }
}

interface ExecutionRun {
  readonly raw: unknown;
  readonly startMs: number;
  readonly inputs: EngineInput[];
  readonly next?: { raw: unknown; startMs: number };
}

/** Runs one execution to its end, recording its inputs (JSON copies of `raw` keep the recording reusable). */
function runOnce(raw: unknown, startMs: number): ExecutionRun {
  const inputs: EngineInput[] = [];
  let step: Advanced = startExecution(structuredClone(raw), 'bench', startMs);
  while (!step.execution.end) {
    const given = answer(step.commands[step.commands.length - 1], step.execution.nowMs);
    inputs.push(given);
    step = advance(step.execution, given);
  }
  const end = step.execution.end;
  return {
    raw,
    startMs,
    inputs,
    ...(end.kind === 'continueAsNew'
      ? { next: { raw: structuredClone({ continuation: true, state: end.state }), startMs: step.execution.nowMs } }
      : {}),
  };
}

/** Re-runs an execution over its first `count` inputs, as one replay episode does. */
function replay(run: ExecutionRun, count: number): void {
  let step = startExecution(structuredClone(run.raw), 'bench', run.startMs);
  for (let i = 0; i < count; i++) step = advance(step.execution, run.inputs[i] as EngineInput);
}

export async function main(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 20);
  const executions: ExecutionRun[] = [];
  let current: { raw: unknown; startMs: number } | undefined = { raw: input, startMs: START_MS };
  while (current) {
    const run = runOnce(current.raw, current.startMs);
    executions.push(run);
    current = run.next;
  }
  const inputs = executions.reduce((sum, run) => sum + run.inputs.length, 0);
  let started = performance.now();
  for (let r = 0; r < rounds; r++) for (const run of executions) replay(run, run.inputs.length);
  const perInputUs = ((performance.now() - started) * 1000) / (rounds * inputs);
  const longest = executions.reduce((a, b) => (b.inputs.length > a.inputs.length ? b : a));
  started = performance.now();
  for (let r = 0; r < rounds; r++) for (let k = 1; k <= longest.inputs.length; k++) replay(longest, k);
  const replayMs = (performance.now() - started) / rounds;
  await Promise.resolve();
  const rows: [string, string][] = [
    ['executions of the rollout', String(executions.length)],
    ['inputs over all executions', String(inputs)],
    ['advance, mean per input (µs)', perInputUs.toFixed(1)],
    ['longest execution (inputs)', String(longest.inputs.length)],
    ['its replays, 1..k inputs each (ms)', replayMs.toFixed(1)],
  ];
  for (const [measure, value] of rows) console.log(`${measure.padEnd(40)} ${value}`);
}
