/** Public surface of the local Azure emulator (see docs/emulator.md). */
export { createEmulator, type Emulator, type EmulatorOptions, type EmulatorCounters, type RegisterModelVersionOptions } from './emulator';
export { emulatorAppSettings } from './app-settings';
export {
  createDemoWorld,
  emptyWorld,
  DEMO_COORDS,
  type WorldSpec,
  type WorldEndpoint,
  type WorldDeployment,
  type WorldModelVersion,
  type DemoWorldOptions,
} from './world';
export type { StateSnapshot, ProvisioningState, WorkspaceCoords } from './arm-state';
export { SUPPORTED_API_VERSIONS } from './arm-api';
export { ENDPOINT_METRICS_NAMESPACE } from './metrics-api';
export type { ServedCounts, ServedCountsByKind } from './traffic';
export {
  OPERATIONS,
  DEFAULT_DURATIONS,
  faultSchema,
  behaviorSchema,
  trafficScheduleSchema,
  type Fault,
  type ModelBehaviorInput,
  type TrafficSchedule,
  type ProvisioningDurations,
} from './types';
export {
  publishModelRegistered,
  validateEventGridSubscription,
  MODEL_REGISTERED_EVENT_TYPE,
  type PublishModelRegisteredOptions,
  type DeliveryResult,
  type ValidateSubscriptionOptions,
  type ValidationResult,
} from './event-grid';
