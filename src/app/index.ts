export { getActivities, getActivityDeps, resetAppPorts } from './ports';
export { createPolicyDirSource } from './policy-dir';
export { registerRolloutActivities, registerRolloutOrchestrator } from './register';
