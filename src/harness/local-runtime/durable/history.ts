/**
 * History events and actions as the durable-functions library reads and writes them (field names
 * and numbers from node_modules/durable-functions/lib/src/history and /actions).
 */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export const EventTypeName: Record<number, string> = Object.fromEntries(Object.entries(EventType).map(([name, value]) => [value, name]));

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export const ActionTypeName: Record<number, string> = Object.fromEntries(Object.entries(ActionType).map(([name, value]) => [value, name]));

/** A history event: the library reads EventType, EventId, IsPlayed, Timestamp plus per-type fields. */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string | null;
  Version?: string;
  Result?: string;
  Reason?: string;
  Details?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  /** Runtime-only: how a scheduled item was described, for the nondeterminism check. */
  [extra: string]: unknown;
}

interface RetryOptionsWire {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** An action object as the library builds it (only the fields the runtime reads). */
export interface ActionWire {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptionsWire;
  instanceId?: string;
  fireAt?: Date | string;
  isCanceled?: boolean;
  externalEventName?: string;
  operation?: string;
  lockSet?: { name: string; key: string }[];
  lockRequestId?: string;
  compoundActions?: ActionWire[];
  httpRequest?: unknown;
}

export function event(type: number, eventId: number, timestampMs: number, fields: Partial<HistoryEvent> = {}): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: new Date(timestampMs).toISOString(), ...fields };
}

/** `input` in an action is JSON-encoded by the library only when it is a string: undo that. */
export function actionInputValue(input: unknown): unknown {
  if (typeof input === 'string') {
    try {
      return JSON.parse(input);
    } catch {
      return input;
    }
  }
  return input;
}

/** JSON text for a value (undefined becomes null, as a JSON history field cannot hold undefined). */
export function toJsonText(value: unknown): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

export function parseJsonText(text: string | null | undefined): unknown {
  if (text === null || text === undefined || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
