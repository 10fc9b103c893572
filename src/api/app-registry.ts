/**
 * The ModelRegistry of the composition root (src/app) for everything that answers an HTTP request
 * or an Event Grid delivery: the trigger, the webhooks, manual starts and retries. It makes one
 * attempt per call (see getIngestionModelRegistry): a request is never held open for back-off.
 * Built lazily; when the app's Azure ports cannot be built (settings missing), manual starts
 * proceed without tags rather than failing the whole API.
 */
import { getIngestionModelRegistry } from '../app';
import type { ModelRegistry } from '../ports/model-registry';

export function appModelRegistry(): ModelRegistry | undefined {
  try {
    return getIngestionModelRegistry();
  } catch {
    return undefined;
  }
}
