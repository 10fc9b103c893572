/**
 * HTTP webhooks for Event Grid subscriptions that deliver to a plain URL instead of the Azure
 * Function trigger: Event Grid schema (POST /api/events/eventgrid) and CloudEvents 1.0
 * (POST /api/events/cloudevents). Both validation handshakes are answered:
 * - Event Grid schema: `aeg-event-type: SubscriptionValidation` (or a SubscriptionValidationEvent
 *   in the body) -> 200 {"validationResponse": code}.
 * - CloudEvents: OPTIONS with WebHook-Request-Origin -> 200 with WebHook-Allowed-Origin (the
 *   CloudEvents HTTP webhook abuse-protection spec).
 * A bad event is answered 400 naming the field (Event Grid does not retry a 400, it dead-letters),
 * after the raw event was logged; a failure to start (store down) is a 500 so Event Grid retries.
 */
import { ValidationError } from '../errors';
import { ingestEvent, type IngestOutcome } from '../ingest/ingest-event';
import type { EventSchemaKind } from '../ingest/model-registered';
import type { ApiDeps } from './deps';
import { json, parseJsonBody, type ApiRequest, type ApiResponse } from './http';
import { authenticate } from './auth';

const SUBSCRIPTION_VALIDATION_EVENT = 'Microsoft.EventGrid.SubscriptionValidationEvent';

function outcomeSummary(outcome: IngestOutcome, index: number): Record<string, unknown> {
  switch (outcome.kind) {
    case 'started':
    case 'duplicate':
      return { index, outcome: outcome.kind, rolloutId: outcome.rolloutId };
    case 'invalid':
      return { index, outcome: 'invalid', field: outcome.error.path, message: outcome.error.message };
    default:
      return { index, outcome: outcome.kind, reason: outcome.reason };
  }
}

async function ingestBatch(events: readonly unknown[], schema: EventSchemaKind, deps: ApiDeps): Promise<ApiResponse> {
  if (events.length === 0) throw new ValidationError('body', 'holds no events');
  const results: Record<string, unknown>[] = [];
  const invalid: { index: number; error: ValidationError }[] = [];
  for (const [index, raw] of events.entries()) {
    const outcome = await ingestEvent(raw, schema, deps);
    results.push(outcomeSummary(outcome, index));
    if (outcome.kind === 'invalid') invalid.push({ index, error: outcome.error });
  }
  const first = invalid[0];
  if (first) {
    const prefix = events.length > 1 ? `[${first.index}].` : '';
    return json(400, { error: { code: 'InvalidInput', message: first.error.message, field: `${prefix}${first.error.path}` }, results });
  }
  return json(200, { results });
}

/** Event Grid schema webhook. */
export async function eventGridWebhook(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  authenticate(request, deps.auth);
  const body = parseJsonBody(request);
  const events = Array.isArray(body) ? body : body === undefined ? [] : [body];
  const first = events[0] as Record<string, unknown> | undefined;
  const headerType = request.header('aeg-event-type');
  if (headerType?.toLowerCase() === 'subscriptionvalidation' || first?.eventType === SUBSCRIPTION_VALIDATION_EVENT) {
    const data = first?.data as Record<string, unknown> | undefined;
    const code = data?.validationCode ?? data?.ValidationCode;
    if (typeof code !== 'string' || code === '')
      throw new ValidationError('[0].data.validationCode', 'is required for a SubscriptionValidation event');
    deps.log.info('eventgrid.validated', { validationUrl: data?.validationUrl });
    return json(200, { validationResponse: code });
  }
  return ingestBatch(events, 'eventGrid', deps);
}

/** CloudEvents 1.0 webhook: OPTIONS handshake, structured (single or batch) POST. */
export async function cloudEventsWebhook(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  authenticate(request, deps.auth);
  if (request.method === 'OPTIONS') {
    const origin = request.header('webhook-request-origin');
    if (!origin) throw new ValidationError('WebHook-Request-Origin', 'header is required for the CloudEvents abuse-protection handshake');
    deps.log.info('cloudevents.validated', { origin });
    return { status: 200, headers: { 'webhook-allowed-origin': origin, 'webhook-allowed-rate': '*', allow: 'POST, OPTIONS' } };
  }
  const contentType = (request.header('content-type') ?? '').toLowerCase();
  if (
    contentType.startsWith('application/cloudevents+json') === false &&
    contentType.startsWith('application/cloudevents-batch+json') === false &&
    contentType.startsWith('application/json') === false
  ) {
    // Binary-mode CloudEvents (ce-* headers) are not produced by Event Grid; structured mode only.
    throw new ValidationError(
      'content-type',
      `must be application/cloudevents+json or application/cloudevents-batch+json, got "${contentType || 'none'}"`,
    );
  }
  const body = parseJsonBody(request);
  const events = Array.isArray(body) ? body : body === undefined ? [] : [body];
  return ingestBatch(events, 'cloudEvents', deps);
}
