/** Event Grid trigger `modelRegistered`: Microsoft.MachineLearningServices.ModelRegistered -> a rollout. */
import { registerModelRegisteredTrigger } from '../src/api/register';

registerModelRegisteredTrigger();
