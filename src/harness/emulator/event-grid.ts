/**
 * Event Grid as the emulator plays it: registers a model version in the emulator, then delivers
 * its ModelRegistered event with the app's own delivery code (src/ingest/event-grid-delivery.ts);
 * and the subscription validation handshake.
 */
import {
  deliverModelRegistered,
  deterministicId,
  type DeliverModelRegisteredOptions,
  type DeliveryResult,
  type WorkspaceCoordinates,
} from '../../ingest/event-grid-delivery';
import { MODEL_REGISTERED_EVENT_TYPE } from '../../ingest/model-registered';
import type { Emulator } from './emulator';
import type { ModelBehaviorInput } from './types';

export { MODEL_REGISTERED_EVENT_TYPE, type DeliveryResult };

export interface PublishModelRegisteredOptions extends Omit<DeliverModelRegisteredOptions, 'workspace'> {
  /** Workspace coordinates for topic/source (default: the emulator's). */
  readonly workspace?: WorkspaceCoordinates;
  /** When given, the model version is registered in this emulator first (with its behaviour). */
  readonly emulator?: Emulator;
  readonly behavior?: ModelBehaviorInput;
}

/** Registers the model version (when an emulator is given) and delivers its ModelRegistered event. */
export async function publishModelRegistered(options: PublishModelRegisteredOptions): Promise<DeliveryResult> {
  const workspace = options.workspace ?? options.emulator?.coords;
  if (!workspace) throw new Error('publishModelRegistered: pass `workspace` coordinates or an `emulator`');
  if (options.emulator) {
    options.emulator.registerModelVersion({
      model: options.model,
      version: options.version,
      ...(options.tags ? { tags: options.tags } : {}),
      ...(options.properties ? { properties: options.properties } : {}),
      ...(options.behavior ? { behavior: options.behavior } : {}),
    });
  }
  const { emulator, behavior: _behavior, ...delivery } = options;
  const eventTimeMs = options.eventTimeMs ?? options.clock?.now() ?? emulator?.now();
  return deliverModelRegistered({ ...delivery, workspace, ...(eventTimeMs !== undefined ? { eventTimeMs } : {}) });
}

export interface ValidateSubscriptionOptions {
  readonly runtimeUrl: string;
  readonly functionName?: string;
  readonly functionKey?: string;
  readonly schema?: 'eventgrid' | 'cloudevents';
  readonly subscriptionName?: string;
  /** The code the webhook must echo (Event Grid schema). Default: a fixed code. */
  readonly validationCode?: string;
  readonly workspace?: { readonly subscriptionId: string; readonly resourceGroup: string; readonly workspace: string };
  readonly eventTimeMs?: number;
}

export interface ValidationResult {
  readonly status: number;
  /** The webhook answered the handshake as Event Grid requires. */
  readonly validated: boolean;
  readonly responseText: string;
}

/**
 * The handshake Event Grid runs when a subscription is created: Event Grid schema posts a
 * SubscriptionValidationEvent (aeg-event-type: SubscriptionValidation) and expects
 * `{ "validationResponse": code }`; CloudEvents sends OPTIONS with WebHook-Request-Origin and
 * expects WebHook-Allowed-Origin back. Plain fetch: the publisher client has no such call.
 */
export async function validateEventGridSubscription(options: ValidateSubscriptionOptions): Promise<ValidationResult> {
  const url = new URL(`${options.runtimeUrl.replace(/\/+$/, '')}/runtime/webhooks/eventgrid`);
  url.searchParams.set('functionName', options.functionName ?? 'modelRegistered');
  if (options.functionKey) url.searchParams.set('code', options.functionKey);
  if ((options.schema ?? 'eventgrid') === 'cloudevents') {
    const response = await fetch(url, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net', 'WebHook-Request-Rate': '120' },
    });
    const allowed = response.headers.get('webhook-allowed-origin');
    return {
      status: response.status,
      validated: response.status === 200 && (allowed === 'eventgrid.azure.net' || allowed === '*'),
      responseText: await response.text(),
    };
  }
  const code = options.validationCode ?? '512d38b6-c7b8-40c8-89fe-f46f9e9622b6';
  const coords = options.workspace ?? { subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg', workspace: 'ws' };
  const event = {
    id: deterministicId(`validation|${code}`),
    topic: `/subscriptions/${coords.subscriptionId}/resourceGroups/${coords.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${coords.workspace}`,
    subject: '',
    data: {
      validationCode: code,
      validationUrl: `https://rp-westeurope.eventgrid.azure.net/eventsubscriptions/${options.subscriptionName ?? 'model-registered'}/validate?id=${code}`,
    },
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    eventTime: new Date(options.eventTimeMs ?? 0).toISOString(),
    metadataVersion: '1',
    dataVersion: '2',
  };
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'aeg-event-type': 'SubscriptionValidation',
      'aeg-subscription-name': (options.subscriptionName ?? 'model-registered').toUpperCase(),
      'aeg-delivery-count': '0',
      'aeg-data-version': '2',
      'aeg-metadata-version': '1',
    },
    body: JSON.stringify([event]),
  });
  const text = await response.text();
  let echoed: unknown;
  try {
    echoed = (JSON.parse(text) as { validationResponse?: unknown }).validationResponse;
  } catch {
    echoed = undefined;
  }
  return { status: response.status, validated: response.status === 200 && echoed === code, responseText: text };
}

/**
 * Event Grid's retry schedule for a failed delivery (learn.microsoft.com/azure/event-grid/delivery-and-retry: 10 s,
 * 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, then hourly up to 24 h; the simulator stops at the
 * schedule's first 12 waits, past any scenario's length).
 */
export const EVENT_GRID_RETRY_DELAYS_MS: readonly number[] = [10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200, 43_200, 43_200].map(
  (s) => s * 1000,
);

/** Whether Event Grid retries a webhook delivery answered with this status: not 400, 401, 403 or 413 (it dead-letters or drops those at once); any other failure is retried. */
export function isRetriedByEventGrid(status: number): boolean {
  return ![400, 401, 403, 413].includes(status);
}
