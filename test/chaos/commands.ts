/**
 * The chaos suite's commands: what a registry, Event Grid, operators, approvers, Azure and the
 * host can do to the app, as plain data. A run is a list of commands; fast-check generates and
 * shrinks the lists (fast-check's own `fc.commands` model runner is synchronous per command and
 * restarts nothing between runs; a list of data commands replayed against a fresh world per run
 * gives the same shrinking, and a failing list can be stored as JSON and replayed as a regression).
 */
import fc from 'fast-check';
import { z } from 'zod';

/** The endpoints of the chaos world (see world.ts): each has its own model and policy. */
const ENDPOINT_KEYS = ['a', 'b'] as const;
export type EndpointKey = (typeof ENDPOINT_KEYS)[number];

const CONTROL_ACTIONS = ['abort', 'pause', 'resume', 'promote', 'retry'] as const;
type ControlAction = (typeof CONTROL_ACTIONS)[number];

/** Who acts: a person the policy allows, or someone it does not. */
export type Actor = 'allowed' | 'stranger';

/** 'api': the public HTTP API (authorizes first); 'management': a raw raiseEvent on the Durable management API (the orchestrator must check and record). */
type Channel = 'api' | 'management';

type FaultStatus = 409 | 429 | 500 | 503 | 'timeout';

export type ChaosCommand =
  /** A ModelRegistered event through the Event Grid webhook; `known: false` = a version the registry does not have. */
  | { readonly kind: 'register'; readonly endpoint: EndpointKey; readonly version: number; readonly known: boolean }
  /** Event Grid redelivers an earlier event (same id, higher delivery count), possibly long after newer ones. */
  | { readonly kind: 'redeliver'; readonly pick: number }
  /** An operator control on one of the rollouts seen so far (`pick` modulo their number). */
  | { readonly kind: 'control'; readonly pick: number; readonly action: ControlAction; readonly by: Actor; readonly via: Channel }
  /** An approval decision on one of the rollouts seen so far. */
  | { readonly kind: 'decide'; readonly pick: number; readonly decision: 'approve' | 'reject'; readonly by: Actor; readonly via: Channel }
  /** An Azure fault in the emulator: `count` next matching calls, or every call for `minutes` (a persistent failure). */
  | {
      readonly kind: 'fault';
      readonly target: 'arm' | 'logs';
      readonly operation?: string;
      readonly status: FaultStatus;
      readonly count?: number;
      readonly minutes?: number;
    }
  /** Virtual time passes. */
  | { readonly kind: 'advance'; readonly minutes: number }
  /** The local runtime stops and starts again over the same SQLite store. */
  | { readonly kind: 'restart' }
  /** Someone outside the app deletes the endpoint's deployments that take no live traffic (an Azure reset, a portal click). */
  | { readonly kind: 'loseDeployments'; readonly endpoint: EndpointKey };

/** ARM operations a fault may target (the ones the rollout uses). */
const ARM_OPERATIONS = [
  'getEndpoint',
  'patchEndpoint',
  'putEndpoint',
  'getDeployment',
  'createDeployment',
  'deleteDeployment',
  'getModelVersion',
  'putModelVersion',
  'getOperationStatus',
  'listDeployments',
] as const;

const pick = fc.nat({ max: 7 });
const actor = fc.constantFrom<Actor>('allowed', 'allowed', 'allowed', 'stranger');
const channel = fc.constantFrom<Channel>('api', 'api', 'management');

const faultArb: fc.Arbitrary<ChaosCommand> = fc
  .record({
    target: fc.constantFrom<'arm' | 'logs'>('arm', 'arm', 'arm', 'logs'),
    armOperation: fc.option(fc.constantFrom(...ARM_OPERATIONS), { nil: undefined }),
    status: fc.constantFrom<FaultStatus>(409, 429, 500, 503, 'timeout'),
    persistent: fc.boolean(),
    count: fc.integer({ min: 1, max: 4 }),
    minutes: fc.integer({ min: 5, max: 90 }),
  })
  .map(({ target, armOperation, status, persistent, count, minutes }) => {
    const operation = target === 'arm' ? armOperation : undefined;
    return {
      kind: 'fault' as const,
      target,
      ...(operation !== undefined ? { operation } : {}),
      status,
      ...(persistent ? { minutes } : { count }),
    };
  });

const knownRegistration = fc.record({
  kind: fc.constant('register' as const),
  endpoint: fc.constantFrom(...ENDPOINT_KEYS),
  version: fc.integer({ min: 2, max: 6 }),
  known: fc.constant(true),
});

/** One command, weighted towards what moves rollouts along (registrations, time, decisions). */
const commandArb: fc.Arbitrary<ChaosCommand> = fc.oneof(
  { weight: 5, arbitrary: knownRegistration },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('register' as const),
      endpoint: fc.constantFrom(...ENDPOINT_KEYS),
      version: fc.integer({ min: 2, max: 9 }),
      known: fc.constant(false),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), pick }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('control' as const),
      pick,
      action: fc.constantFrom(...CONTROL_ACTIONS),
      by: actor,
      via: channel,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('decide' as const),
      pick,
      decision: fc.constantFrom<'approve' | 'reject'>('approve', 'approve', 'approve', 'reject'),
      by: actor,
      via: channel,
    }),
  },
  { weight: 3, arbitrary: faultArb },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('loseDeployments' as const), endpoint: fc.constantFrom(...ENDPOINT_KEYS) }) },
);

/** A run opens with a registration (a run without a rollout checks little), then anything. */
export function commandsArb(maxCommands: number): fc.Arbitrary<ChaosCommand[]> {
  return fc.tuple(knownRegistration, fc.array(commandArb, { maxLength: maxCommands - 1 })).map(([first, rest]) => [first, ...rest]);
}

/** One readable line per command, for failure reports. */
export function describeCommand(command: ChaosCommand): string {
  switch (command.kind) {
    case 'register':
      return `register ${command.endpoint}:v${command.version}${command.known ? '' : ' (not in the registry)'}`;
    case 'redeliver':
      return `redeliver event #${command.pick}`;
    case 'control':
      return `${command.action} rollout #${command.pick} by ${command.by} via ${command.via}`;
    case 'decide':
      return `${command.decision} rollout #${command.pick} by ${command.by} via ${command.via}`;
    case 'fault':
      return `fault ${command.target}${command.operation ? `/${command.operation}` : ''} ${command.status} ${command.minutes !== undefined ? `for ${command.minutes} min` : `x${command.count}`}`;
    case 'advance':
      return `advance ${command.minutes} min`;
    case 'restart':
      return 'restart the runtime';
    case 'loseDeployments':
      return `lose the idle deployments of endpoint ${command.endpoint}`;
  }
}

const endpointKey = z.enum(ENDPOINT_KEYS);
const pickSchema = z.number().int().nonnegative();
const actorSchema = z.enum(['allowed', 'stranger']);
const channelSchema = z.enum(['api', 'management']);

/** A stored command (regressions.json): the same shapes as ChaosCommand, strict, so a typo is named. */
export const chaosCommandSchema: z.ZodType<ChaosCommand> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('register'), endpoint: endpointKey, version: z.number().int().positive(), known: z.boolean() }).strict(),
  z.object({ kind: z.literal('redeliver'), pick: pickSchema }).strict(),
  z.object({ kind: z.literal('control'), pick: pickSchema, action: z.enum(CONTROL_ACTIONS), by: actorSchema, via: channelSchema }).strict(),
  z
    .object({ kind: z.literal('decide'), pick: pickSchema, decision: z.enum(['approve', 'reject']), by: actorSchema, via: channelSchema })
    .strict(),
  z
    .object({
      kind: z.literal('fault'),
      target: z.enum(['arm', 'logs']),
      operation: z.string().min(1).optional(),
      status: z.union([z.literal(409), z.literal(429), z.literal(500), z.literal(503), z.literal('timeout')]),
      count: z.number().int().positive().optional(),
      minutes: z.number().positive().optional(),
    })
    .strict(),
  z.object({ kind: z.literal('advance'), minutes: z.number().int().nonnegative() }).strict(),
  z.object({ kind: z.literal('restart') }).strict(),
  z.object({ kind: z.literal('loseDeployments'), endpoint: endpointKey }).strict(),
]);
