/**
 * Candidate deployment names: rendered from the policy's pattern, sanitised to Azure's rules
 * (start with a letter, 3-32 characters, letters, digits and single dashes, no trailing dash), and
 * kept clear of the deployments already on the endpoint. Everything here is deterministic: the
 * same inputs always give the same name (a replayed orchestration must compute the same plan).
 */

const MIN_DEPLOYMENT_NAME_LENGTH = 3;
const MAX_DEPLOYMENT_NAME_LENGTH = 32;

const VALID = /^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-))*[a-zA-Z0-9]$/;

export function isValidDeploymentName(name: string): boolean {
  return name.length >= MIN_DEPLOYMENT_NAME_LENGTH && name.length <= MAX_DEPLOYMENT_NAME_LENGTH && VALID.test(name);
}

/** FNV-1a, 32 bit, as 8 hex digits: a short stable fingerprint for truncated names (not security). */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

function trimDashes(text: string): string {
  return text.replace(/^-+/, '').replace(/-+$/, '');
}

/** Cuts a sanitised name to at most `max` characters without leaving a trailing dash. */
function cut(name: string, max: number): string {
  return trimDashes(name.slice(0, max));
}

/**
 * Turns any text into a valid deployment name: lower case, other characters become dashes, runs
 * of dashes collapse, leading non-letters go. Too short: padded with "-dep". Too long: cut and
 * suffixed with a fingerprint of the whole text, so two long names that share a prefix still differ.
 */
export function sanitizeDeploymentName(raw: string): string {
  let name = trimDashes(raw.toLowerCase().replace(/[^a-z0-9]+/g, '-'));
  name = trimDashes(name.replace(/^[^a-z]+/, ''));
  if (name.length === 0) name = 'candidate';
  if (name.length < MIN_DEPLOYMENT_NAME_LENGTH) name = `${name}-dep`;
  if (name.length > MAX_DEPLOYMENT_NAME_LENGTH) {
    const suffix = `-${fingerprint(raw)}`;
    name = `${cut(name, MAX_DEPLOYMENT_NAME_LENGTH - suffix.length)}${suffix}`;
  }
  return name;
}

export interface DeploymentNameValues {
  readonly model: string;
  readonly version: string;
  readonly strategy: string;
}

/** Fills {model}, {version}, {strategy}; other text is kept as written. */
export function renderDeploymentName(pattern: string, values: DeploymentNameValues): string {
  const filled = pattern.replace(/\{(model|version|strategy)\}/g, (_, key: keyof DeploymentNameValues) => values[key]);
  return sanitizeDeploymentName(filled);
}

export interface ExistingDeploymentName {
  readonly name: string;
  /** The model it serves, when known: a leftover of an earlier attempt with the same model is reused. */
  readonly modelId?: string;
  readonly liveTrafficPercent?: number;
  readonly mirrorTrafficPercent?: number;
}

export interface ChooseCandidateNameOptions {
  readonly preferred: string;
  readonly baseline: string;
  readonly candidateModelId: string;
  readonly existing: readonly ExistingDeploymentName[];
}

/** Alternatives tried, in order, after the preferred name. */
function* alternatives(preferred: string): Generator<string> {
  // Classic blue/green naming alternates rather than growing suffixes.
  if (preferred === 'green') yield 'blue';
  if (preferred === 'blue') yield 'green';
  for (let n = 2; n <= 99; n++) {
    const suffix = `-${n}`;
    yield `${cut(preferred, MAX_DEPLOYMENT_NAME_LENGTH - suffix.length)}${suffix}`;
  }
}

/**
 * Picks the candidate's name: the preferred one unless it is the baseline or an existing deployment
 * that is not a reusable leftover (same model, no traffic) of this very rollout; then `blue`/`green`
 * alternation, then `-2`, `-3`, ... suffixes. Names compare case-insensitively, like Azure's.
 */
export function chooseCandidateName(options: ChooseCandidateNameOptions): string {
  const key = (n: string): string => n.toLowerCase();
  const taken = new Set<string>([key(options.baseline)]);
  for (const d of options.existing) {
    const reusable =
      d.modelId !== undefined &&
      d.modelId.toLowerCase() === options.candidateModelId.toLowerCase() &&
      (d.liveTrafficPercent ?? 0) === 0 &&
      (d.mirrorTrafficPercent ?? 0) === 0;
    if (!reusable) taken.add(key(d.name));
  }
  if (!taken.has(key(options.preferred))) return options.preferred;
  for (const candidate of alternatives(options.preferred)) {
    if (!taken.has(key(candidate))) return candidate;
  }
  throw new Error(`no free deployment name near "${options.preferred}"`); // unreachable: an endpoint holds at most 20 deployments
}
