export { getActivities, getActivityDeps, getIngestionModelRegistry } from './ports';
