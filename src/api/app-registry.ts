/**
 * The ModelRegistry of the composition root (src/app), for manual starts (they read the model
 * version's tags). Built lazily; when the app's Azure ports cannot be built (settings missing),
 * manual starts proceed without tags rather than failing the whole API.
 */
import { getActivityDeps } from '../app';
import type { ModelRegistry } from '../ports/model-registry';

export function appModelRegistry(): ModelRegistry | undefined {
  try {
    return getActivityDeps().modelRegistry;
  } catch {
    return undefined;
  }
}
