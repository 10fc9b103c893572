/** Everything the API handlers need, injected (functions/rollout-api.ts builds it from the host). */
import type { WorkspaceCoordinates } from '../ingest/model-registered';
import type { PolicyResolver, RolloutClient, StructuredLogger } from '../ingest/ports';
import type { Clock } from '../ports/clock';
import type { ModelRegistry } from '../ports/model-registry';
import type { AuthOptions } from './auth';

export interface ApiDeps {
  readonly client: RolloutClient;
  readonly policies: PolicyResolver;
  readonly clock: Clock;
  readonly log: StructuredLogger;
  readonly auth: AuthOptions;
  /** The workspace manual starts refer to (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AML_WORKSPACE_NAME). */
  readonly workspace: WorkspaceCoordinates;
  /** Reads a model version's tags for manual starts; absent = no tags (the policy must be named or match by name). */
  readonly modelRegistry?: ModelRegistry;
  readonly links: {
    /** APPROVAL_LINK_SECRET; undefined disables signed links. */
    readonly secret: string | undefined;
    readonly ttlMinutes: number;
    readonly publicBaseUrl: string;
  };
  /** How long a link request waits for the ledger entity to record its claim (default 15 s). */
  readonly ledgerTimeoutMs?: number;
}
