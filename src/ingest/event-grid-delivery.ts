/**
 * Delivery of Microsoft.MachineLearningServices.ModelRegistered to an app's Event Grid trigger
 * (/runtime/webhooks/eventgrid?functionName=...), as the Event Grid service delivers it. Used by
 * the CLI (`register-model` against the local runtime or a Function App), the emulator and the
 * simulator, so every sender produces the same envelope and headers.
 *
 * The event is built and serialized by the real EventGridPublisherClient (it can target any URL).
 * A pipeline policy then does what the service does between a publisher and a webhook: it drops
 * the publisher's key and api-version, stamps the envelope fields the service owns
 * (metadataVersion, topic), delivers one CloudEvent per request (not a batch), and adds the
 * delivery headers (aeg-event-type: Notification, aeg-subscription-name, aeg-delivery-count...).
 */
import { AzureKeyCredential, EventGridPublisherClient } from '@azure/eventgrid';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { Clock } from '../ports/clock';
import { MODEL_REGISTERED_EVENT_TYPE } from './model-registered';

export interface WorkspaceCoordinates {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
}

export interface DeliverModelRegisteredOptions {
  /** Base URL of the app (local runtime or Function App), e.g. http://localhost:7071. */
  readonly runtimeUrl: string;
  /** The Event Grid trigger's function name (default modelRegistered). */
  readonly functionName?: string;
  /** The webhook's system key, sent as ?code= (as Event Grid subscriptions to Functions do). */
  readonly functionKey?: string;
  readonly model: string;
  readonly version: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly properties?: Readonly<Record<string, string>>;
  /** Workspace coordinates for the event's topic/source. */
  readonly workspace: WorkspaceCoordinates;
  readonly schema?: 'eventgrid' | 'cloudevents';
  readonly subscriptionName?: string;
  /** 0 for the first attempt; a redelivery (duplicate) has a higher count. */
  readonly deliveryCount?: number;
  /** Fixed event id (a redelivery reuses the id). Default: derived from model, version and time. */
  readonly eventId?: string;
  /** Event time in epoch ms (default: `clock`, else the machine's). */
  readonly eventTimeMs?: number;
  readonly clock?: Clock;
}

export interface DeliveryResult {
  /** HTTP status the webhook answered (Event Grid counts 200-204 as delivered). */
  readonly status: number;
  readonly delivered: boolean;
  readonly eventId: string;
  readonly url: string;
  readonly responseText: string;
}

function deliveryPolicy(options: {
  schema: 'eventgrid' | 'cloudevents';
  subscriptionName: string;
  deliveryCount: number;
  topic: string;
  captured: { status?: number; text?: string };
}): PipelinePolicy {
  return {
    name: 'emulatedEventGridDelivery',
    async sendRequest(request, next) {
      request.headers.delete('aeg-sas-key');
      const url = new URL(request.url);
      url.searchParams.delete('api-version');
      request.url = url.toString();
      const events = JSON.parse(typeof request.body === 'string' ? request.body : '[]') as Record<string, unknown>[];
      if (options.schema === 'eventgrid') {
        request.body = JSON.stringify(events.map((e) => ({ ...e, topic: options.topic, metadataVersion: '1' })));
        request.headers.set('Content-Type', 'application/json; charset=utf-8');
      } else {
        request.body = JSON.stringify(events[0] ?? {});
        request.headers.set('Content-Type', 'application/cloudevents+json; charset=utf-8');
      }
      request.headers.set('aeg-event-type', 'Notification');
      request.headers.set('aeg-subscription-name', options.subscriptionName.toUpperCase());
      request.headers.set('aeg-delivery-count', String(options.deliveryCount));
      request.headers.set('aeg-data-version', '2');
      request.headers.set('aeg-metadata-version', '1');
      request.headers.set('User-Agent', 'Microsoft.Azure.EventGrid.Emulated');
      const response = await next(request);
      options.captured.status = response.status;
      options.captured.text = response.bodyAsText ?? '';
      return response;
    },
  };
}

/** Delivers a ModelRegistered event to an Event Grid trigger webhook, as the Event Grid service does. */
export async function deliverModelRegistered(options: DeliverModelRegisteredOptions): Promise<DeliveryResult> {
  const schema = options.schema ?? 'eventgrid';
  const coords = options.workspace;
  // Event time from the shared clock; the machine's time only without one (a person's one-off delivery).
  const timeMs = options.eventTimeMs ?? options.clock?.now() ?? Date.now();
  const topic = `/subscriptions/${coords.subscriptionId}/resourceGroups/${coords.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${coords.workspace}`;
  const subject = `models/${options.model}:${options.version}`;
  const eventId = options.eventId ?? deterministicId(`${topic}|${subject}|${timeMs}`);
  // PascalCase keys, as Azure's documented ModelRegistered payload has them (docs/azure-fidelity.md).
  const data = {
    ModelName: options.model,
    ModelVersion: options.version,
    ModelTags: { ...(options.tags ?? {}) },
    ModelProperties: { ...(options.properties ?? {}) },
  };
  const url = new URL(`${options.runtimeUrl.replace(/\/+$/, '')}/runtime/webhooks/eventgrid`);
  url.searchParams.set('functionName', options.functionName ?? 'modelRegistered');
  if (options.functionKey) url.searchParams.set('code', options.functionKey);
  const captured: { status?: number; text?: string } = {};
  const clientOptions = {
    allowInsecureConnection: url.protocol === 'http:',
    retryOptions: { maxRetries: 0 },
    additionalPolicies: [
      {
        policy: deliveryPolicy({
          schema,
          subscriptionName: options.subscriptionName ?? 'model-registered',
          deliveryCount: options.deliveryCount ?? 0,
          topic,
          captured,
        }),
        position: 'perRetry' as const,
      },
    ],
  };
  // The key is a placeholder: the delivery policy removes it (webhooks get no publisher key).
  const credential = new AzureKeyCredential('emulator');
  try {
    if (schema === 'eventgrid') {
      const client = new EventGridPublisherClient(url.toString(), 'EventGrid', credential, clientOptions);
      await client.send([
        { id: eventId, eventType: MODEL_REGISTERED_EVENT_TYPE, subject, dataVersion: '2', data, eventTime: new Date(timeMs) },
      ]);
    } else {
      const client = new EventGridPublisherClient(url.toString(), 'CloudEvent', credential, clientOptions);
      await client.send([
        {
          id: eventId,
          type: MODEL_REGISTERED_EVENT_TYPE,
          source: topic,
          subject,
          data,
          time: new Date(timeMs),
          datacontenttype: 'application/json',
        },
      ]);
    }
  } catch (error) {
    // A non-2xx answer is a delivery result (Event Grid would retry), not an exception.
    if (captured.status === undefined) throw error;
  }
  const status = captured.status ?? 0;
  return { status, delivered: status >= 200 && status <= 204, eventId, url: url.toString(), responseText: captured.text ?? '' };
}

/** A GUID-shaped id from a string (FNV-1a based), so a re-run of a scenario sends the same ids. */
export function deterministicId(text: string): string {
  const words: string[] = [];
  for (let round = 0; round < 4; round++) {
    let h = 0x811c9dc5 ^ round;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    words.push(h.toString(16).padStart(8, '0'));
  }
  const hex = words.join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
