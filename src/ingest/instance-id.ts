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
  return cleaned.slice(0, maxLength).replace(/-+$/g, '') || 'x';
}

export function rolloutInstanceId(parts: RolloutIdParts): string {
  const canonical = [
    parts.subscriptionId.toLowerCase(),
    parts.resourceGroup.toLowerCase(),
    parts.workspace.toLowerCase(),
    parts.endpoint,
    parts.model,
    parts.version,
  ].join('\n');
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, HASH_LENGTH);
  const id = `${slug(parts.endpoint, 32)}--${slug(parts.model, 32)}-v${slug(parts.version, 12)}--${hash}`;
  return id.slice(0, MAX_ROLLOUT_ID_LENGTH);
}

/**
 * Characters a rollout id may hold. Ids we make are [a-z0-9-]; anything else a caller sends is
 * refused before it reaches the Durable client, which puts the id into management URLs without
 * percent-encoding it: a `%`, `/`, `?` or `#` there answers 500 or addresses another resource.
 * RFC 3986 "unreserved" characters need no encoding, so they are exactly the safe set.
 */
const INSTANCE_ID_PATTERN = /^[A-Za-z0-9._~-]{1,256}$/;

/** What a rollout id must look like, for error messages. */
export const INSTANCE_ID_RULE =
  'must be a rollout id: 1 to 256 letters, digits, "-", "_", "." or "~" (e.g. credit-scoring--credit-model-v2--3e6ae15a67)';

/** A string that could be a rollout id (guards path parameters before they reach the Durable API). */
export function isValidInstanceId(id: string): boolean {
  return INSTANCE_ID_PATTERN.test(id);
}
