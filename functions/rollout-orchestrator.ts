/** Registration only: the rollout orchestrator and the per-endpoint lease entity (src/orchestration). */
import { registerRolloutOrchestrator } from '../src/app/register';

registerRolloutOrchestrator();
