/**
 * The only reader of process.env. Every setting the app reads is declared here, validated with
 * zod, and fails fast with a message naming the setting. infra/main.bicep sets the same names
 * (a test holds the two together), so add a setting here and there at once.
 */
import { z } from 'zod';

const optionalUrl = z.url().optional();

/** Where Azure SDK clients point: real Azure by default, the local emulator when overridden. */
const settingsSchema = z.object({
  // Target ML workspace (Azure Resource Manager coordinates).
  AZURE_SUBSCRIPTION_ID: z.string().min(1).default('00000000-0000-0000-0000-000000000000'),
  AZURE_RESOURCE_GROUP: z.string().min(1).default('rg-aml-rollout'),
  AML_WORKSPACE_NAME: z.string().min(1).default('demo-workspace'),
  /** Log Analytics workspace id (GUID) that receives AmlOnlineEndpointTrafficLog. */
  LOG_ANALYTICS_WORKSPACE_ID: z.string().min(1).default('00000000-0000-0000-0000-00000000beef'),
  /** Client id of the user-assigned managed identity (Azure); absent means DefaultAzureCredential. */
  AZURE_CLIENT_ID: z.string().min(1).optional(),
  /** Override endpoints (the local emulator). Absent means public Azure. */
  ARM_ENDPOINT: optionalUrl,
  LOGS_ENDPOINT: optionalUrl,
  METRICS_ENDPOINT: optionalUrl,
  /** Base URL of the Azure Retail Prices API (absent = https://prices.azure.com; locally the emulator's price list). */
  PRICES_ENDPOINT: optionalUrl,
  /** When set, SDK clients authenticate with this fixed bearer token (emulator only). */
  EMULATOR_TOKEN: z.string().min(1).optional(),

  /** Folder of policy files (YAML or JSON). */
  POLICY_DIR: z.string().min(1).default('policies'),

  /** Public base URL of this app (used in approval links and the dashboard link). */
  PUBLIC_BASE_URL: z.url().default('http://localhost:7071'),
  /** Secret for signing approval links (HMAC-SHA256). Required in Azure. */
  APPROVAL_LINK_SECRET: z.string().min(16).optional(),
  /** Lifetime of signed approval links. */
  APPROVAL_LINK_TTL_MINUTES: z.coerce
    .number()
    .int()
    .positive()
    .default(24 * 60),
  /**
   * Believe App Service authentication's principal headers (x-ms-client-principal...). Takes effect
   * only in App Service with its authentication on (WEBSITE_AUTH_ENABLED), never locally.
   */
  TRUST_APP_SERVICE_AUTH: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  /** Local API key (the local runtime's function key) for the operator API. */
  ROLLOUT_API_KEY: z.string().min(1).optional(),

  /**
   * Seed for the app's own randomness (Azure retry jitter). Local only: the simulator sets it to
   * the scenario seed so a run replays the same back-off waits; in Azure it is absent and jitter is
   * truly random, spreading the retries of many rollouts that share ARM's subscription throttling.
   */
  RANDOM_SEED: z.coerce
    .number({ error: 'must be an integer' })
    .int({ error: 'must be an integer' })
    .refine((n) => Number.isSafeInteger(n), { error: 'must be an integer between -(2^53 - 1) and 2^53 - 1' })
    .optional(),

  NOTIFY_TEAMS_WEBHOOK_URL: optionalUrl,
  NOTIFY_SLACK_WEBHOOK_URL: optionalUrl,
  NOTIFY_GENERIC_WEBHOOK_URL: optionalUrl,
});

export type Settings = z.infer<typeof settingsSchema>;

/** The names of every setting the app reads (infra tests compare these with main.bicep). */
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as (keyof Settings)[];

/**
 * Settings that exist only for local runs (the emulator, the local runtime's API key, the
 * simulator's random seed) and that
 * infra/main.bicep therefore never sets in Azure. In Azure the SDKs talk to public endpoints with
 * the managed identity, and the operator API is protected by function keys.
 */
export const LOCAL_ONLY_SETTINGS = [
  'ARM_ENDPOINT',
  'LOGS_ENDPOINT',
  'METRICS_ENDPOINT',
  'PRICES_ENDPOINT',
  'EMULATOR_TOKEN',
  'ROLLOUT_API_KEY',
  'RANDOM_SEED',
] as const satisfies readonly (keyof Settings)[];

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/**
 * In Azure, an app setting such as `@Microsoft.KeyVault(SecretUri=...)` is replaced by the platform
 * with the secret. When resolution fails (the identity lacks access, the secret or vault is gone)
 * the app sees the reference text itself, which would pass as a value: a 60-character "secret"
 * that anyone reading the Bicep knows. Matched case-insensitively, as the platform does.
 */
const KEY_VAULT_REFERENCE = /^\s*@Microsoft\.KeyVault\(/i;

export function loadSettings(env: Readonly<Record<string, string | undefined>>): Settings {
  const picked: Record<string, string> = {};
  const unresolved: string[] = [];
  for (const name of SETTING_NAMES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (KEY_VAULT_REFERENCE.test(value)) unresolved.push(`${name} (${value.trim()})`);
    picked[name] = value;
  }
  if (unresolved.length > 0) {
    throw new ConfigurationError(
      `invalid configuration: the Key Vault reference did not resolve for ${unresolved.join(', ')}: ` +
        `the platform passed the reference text instead of the secret. Check that the app's managed identity ` +
        `has access to the vault (e.g. the "Key Vault Secrets User" role), that the secret exists, and the ` +
        `reference status under the app's Environment variables in the portal.`,
    );
  }
  const parsed = settingsSchema.safeParse(picked);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigurationError(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

let cached: Settings | undefined;

/** Settings of this process, read once. */
export function getSettings(): Settings {
  cached ??= loadSettings(process.env);
  return cached;
}

/** For hosts (the local runtime, the simulator) that set the app's environment before loading it. */
export function setEnvironment(values: Readonly<Record<string, string | undefined>>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  cached = undefined;
}

/** A read of one raw variable, for hosts only (e.g. the runtime's own PORT, CI detection). */
export function readEnvironment(name: string): string | undefined {
  return process.env[name];
}
