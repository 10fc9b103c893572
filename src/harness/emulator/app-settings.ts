/**
 * The app settings that point the rollout app at a running emulator: its ARM, Log Analytics and
 * metrics endpoints, the bearer token it expects, and the demo workspace it holds. `npm start`,
 * `simulate` and tests start the app this way; one place keeps the setting names and the
 * emulator's coordinates from drifting apart.
 */
import type { Emulator } from './emulator';

export function emulatorAppSettings(
  emulator: Pick<Emulator, 'url' | 'coords' | 'logAnalyticsWorkspaceId'>,
  token: string,
): Record<string, string> {
  return {
    ARM_ENDPOINT: emulator.url,
    LOGS_ENDPOINT: emulator.url,
    METRICS_ENDPOINT: emulator.url,
    // The emulator serves a small price list in the Azure Retail Prices API's shape.
    PRICES_ENDPOINT: emulator.url,
    EMULATOR_TOKEN: token,
    AZURE_SUBSCRIPTION_ID: emulator.coords.subscriptionId,
    AZURE_RESOURCE_GROUP: emulator.coords.resourceGroup,
    AML_WORKSPACE_NAME: emulator.coords.workspace,
    LOG_ANALYTICS_WORKSPACE_ID: emulator.logAnalyticsWorkspaceId,
  };
}
