/**
 * One delivered event -> at most one rollout. Shared by the Event Grid trigger and the HTTP
 * webhooks; the callers decide how to answer (the trigger acknowledges bad events, the webhooks
 * answer 400), but every outcome is logged here with enough to find the event again, and a bad
 * event's log line carries the raw event so nothing vanishes silently.
 */
import { RolloutError, ValidationError } from '../errors';
import { eventTypeOf, MODEL_REGISTERED_EVENT_TYPE, parseModelRegisteredEvent, type EventSchemaKind } from './model-registered';
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

export async function ingestEvent(raw: unknown, schema: EventSchemaKind | undefined, deps: StartRolloutDeps): Promise<IngestOutcome> {
  const type = eventTypeOf(raw);
  if (type !== undefined && type.toLowerCase() !== MODEL_REGISTERED_EVENT_TYPE.toLowerCase()) {
    deps.log.info('event.ignored', { eventType: type, reason: 'not a ModelRegistered event' });
    return { kind: 'ignored', reason: `event type ${type} is not ${MODEL_REGISTERED_EVENT_TYPE}` };
  }
  let event;
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
    if (error instanceof ValidationError && error.code === 'InvalidInput') {
      // The event itself is at fault: retrying cannot help. (InvalidPolicy, a broken policy file or
      // a tag naming an unknown policy, propagates: Event Grid retries, and a fixed folder recovers.)
      deps.log.warn('event.invalid', { field: error.path, problem: error.message, rawEvent: rawForLog(raw) });
      return { kind: 'invalid', error };
    }
    // A policy that fails to load or a store that is down: let the caller fail so Event Grid retries.
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
