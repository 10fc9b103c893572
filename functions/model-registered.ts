/** Event Grid trigger `modelRegistered`: Microsoft.MachineLearningServices.ModelRegistered -> a rollout. */
import { appModelRegistry } from '../src/api/app-registry';
import { registerModelRegisteredTrigger } from '../src/api/register';

// The registry confirms each event's model version exists before a rollout starts (defect: an
// unregistered version used to supersede the running rollout and then fail at planning).
registerModelRegisteredTrigger({ modelRegistry: appModelRegistry });
