export { getActivities, getIngestionModelRegistry } from './ports';
