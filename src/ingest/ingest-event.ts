/**
 * One delivered event -> at most one rollout. Shared by the Event Grid trigger and the HTTP
 * webhooks; the callers decide how to answer (the trigger acknowledges bad events, the webhooks
 * answer 400), but every outcome is logged here with enough to find the event again, and a bad
 * event's log line carries the raw event so nothing vanishes silently.
 */
import { RolloutError, ValidationError } from '../errors';
import { PolicySelectionError } from '../policy';
import {
  eventTypeOf,
  MODEL_REGISTERED_EVENT_TYPE,
  parseModelRegisteredEvent,
  type EventSchemaKind,
  type ModelRegisteredEvent,
} from './model-registered';
import { registeredVersion } from './registered-version';
import { startRollout, type StartRolloutDeps, type StartRolloutOutcome } from './start-rollout';

export type IngestOutcome =
  | StartRolloutOutcome
  | { readonly kind: 'invalid'; readonly error: ValidationError }
  /** Another event type reached us (a subscription without a type filter): not ours, acknowledged. */
  | { readonly kind: 'ignored'; readonly reason: string };

/** Raw events can be large (tags, properties); the log keeps enough to reproduce, bounded. */
const MAX_LOGGED_EVENT_CHARS = 16_000;

function rawForLog(raw: unknown): unknown {
  let text: string;
  try {
    text = JSON.stringify(raw) ?? String(raw);
  } catch {
    text = String(raw);
  }
  return text.length > MAX_LOGGED_EVENT_CHARS ? `${text.slice(0, MAX_LOGGED_EVENT_CHARS)}...(truncated)` : raw;
}

/**
 * The event names a model version the registry does not have (a forged or stale event, or the
 * version was deleted): refused before a rollout starts, so it can never supersede a running one.
 * Without a registry (settings incomplete) the check is skipped and planning finds out instead.
 */
async function requireRegistered(event: ModelRegisteredEvent, deps: StartRolloutDeps): Promise<void> {
  if (!deps.modelRegistry) return;
  try {
    await registeredVersion(deps.modelRegistry, event.workspace, event.model.name, event.model.version);
  } catch (error) {
    if (error instanceof RolloutError && error.code === 'NotFound') throw new ValidationError('data.modelVersion', error.message);
    throw error;
  }
}

/**
 * Whether an error says the event can never start a rollout (so redelivery is pointless): bad
 * input, an unregistered version, a tag naming an unknown policy or a tie between policies. A
 * policy folder that cannot be read, a registry or store that is down, are not: those may pass later.
 */
function isEventAtFault(error: unknown): error is ValidationError {
  return error instanceof ValidationError && (error.code === 'InvalidInput' || error instanceof PolicySelectionError);
}

export async function ingestEvent(raw: unknown, schema: EventSchemaKind | undefined, deps: StartRolloutDeps): Promise<IngestOutcome> {
  const type = eventTypeOf(raw);
  if (type !== undefined && type.toLowerCase() !== MODEL_REGISTERED_EVENT_TYPE.toLowerCase()) {
    deps.log.info('event.ignored', { eventType: type, reason: 'not a ModelRegistered event' });
    return { kind: 'ignored', reason: `event type ${type} is not ${MODEL_REGISTERED_EVENT_TYPE}` };
  }
  let event: ModelRegisteredEvent;
  try {
    event = parseModelRegisteredEvent(raw, schema);
  } catch (error) {
    if (error instanceof ValidationError) {
      deps.log.warn('event.invalid', { field: error.path, problem: error.message, rawEvent: rawForLog(raw) });
      return { kind: 'invalid', error };
    }
    throw error;
  }
  try {
    await requireRegistered(event, deps);
    return await startRollout(
      {
        source: event.schema,
        eventId: event.eventId,
        workspace: event.workspace,
        model: event.model,
      },
      deps,
    );
  } catch (error) {
    if (isEventAtFault(error)) {
      deps.log.warn('event.invalid', { field: error.path, problem: error.message, rawEvent: rawForLog(raw) });
      return { kind: 'invalid', error };
    }
    // A policy folder that fails to load, a registry or store that is down: let the caller fail so Event Grid retries.
    deps.log.error('event.startFailed', {
      eventId: event.eventId,
      model: event.model.name,
      version: event.model.version,
      error: error instanceof Error ? error.message : String(error),
      code: error instanceof RolloutError ? error.code : undefined,
    });
    throw error;
  }
}
