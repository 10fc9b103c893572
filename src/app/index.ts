export { getActivities, getActivityDeps } from './ports';
