export { getActivities, getActivityDeps, resetAppPorts, loggingNotifier } from './ports';
export { createPolicyDirSource, loadPolicyDir } from './policy-dir';
