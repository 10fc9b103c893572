/** The rollout policy: schema, parsing with located errors, matching a model to a policy, JSON Schema. */
export * from './schema';
export { crossCheckPolicy, isRelativeCheck, KQL_PLACEHOLDERS, type PolicyIssue, type IssuePath } from './cross-check';
export { parsePolicy, validatePolicy, PolicyError, formatIssue, formatIssuePath, type LocatedIssue } from './parse';
export { selectPolicy, policyMatches, PolicySelectionError, SKIP_TAG, SKIP_TAG_VALUE, POLICY_TAG, type ModelFacts, type PolicySelection, type WorkspaceScope } from './match';
export { strategyOf, type DeclaredStrategy } from './strategy';
export { globMatches } from './glob';
export { policyJsonSchema } from './json-schema';
