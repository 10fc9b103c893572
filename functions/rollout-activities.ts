/** Registration only: the rollout activities over the real ports (built lazily from settings). */
import { getActivities } from '../src/app';
import { registerRolloutActivities } from '../src/app/register';

registerRolloutActivities(getActivities);
