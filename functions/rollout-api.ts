/** HTTP API: rollouts, actions, signed approval links, OpenAPI, Event Grid / CloudEvents webhooks. */
import { registerRolloutApi } from '../src/api/register';
import { appModelRegistry } from '../src/api/app-registry';

registerRolloutApi({ modelRegistry: appModelRegistry });
