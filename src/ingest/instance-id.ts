/**
 * Deterministic rollout (orchestration instance) ids. The same model version registered on the
 * same workspace for the same endpoint always yields the same id, so Event Grid's duplicate
 * deliveries map onto one instance and start nothing new.
 *
 * Shape: `<endpoint>--<model>-v<version>--<hash>`: readable in lists and logs, and the hash (over the
 * exact, un-sanitised coordinates) keeps ids distinct when sanitising or truncation would collide
 * (e.g. `Model_A` and `model-a`, or two workspaces with the same endpoint name).
 * Durable instance ids must not contain / \ # ? or control characters; we keep only [a-z0-9-]
 * and stay under 100 characters, which every Durable storage backend accepts.
 */
import { createHash } from 'node:crypto';

export interface RolloutIdParts {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly endpoint: string;
  readonly model: string;
  readonly version: string;
}

const MAX_ROLLOUT_ID_LENGTH = 96;
const HASH_LENGTH = 10;

function slug(value: string, maxLength: number): string {
  const cleaned = value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (cleaned.slice(0, maxLength).replace(/-+$/g, '') || 'x');
}

export function rolloutInstanceId(parts: RolloutIdParts): string {
  const canonical = [parts.subscriptionId.toLowerCase(), parts.resourceGroup.toLowerCase(), parts.workspace.toLowerCase(), parts.endpoint, parts.model, parts.version].join('\n');
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, HASH_LENGTH);
  const id = `${slug(parts.endpoint, 32)}--${slug(parts.model, 32)}-v${slug(parts.version, 12)}--${hash}`;
  return id.slice(0, MAX_ROLLOUT_ID_LENGTH);
}

/** A string that could be a rollout id (guards path parameters before they reach the Durable API). */
export function isValidInstanceId(id: string): boolean {
  if (id.length === 0 || id.length > 256 || /[/\\#?]/.test(id)) return false;
  return [...id].every((c) => c.charCodeAt(0) > 0x1f && c.charCodeAt(0) !== 0x7f);
}
