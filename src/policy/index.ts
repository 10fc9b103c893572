/** The rollout policy: schema, parsing with located errors, matching a model to a policy, JSON Schema. */
export * from './schema';
export { parsePolicy, validatePolicy, PolicyError } from './parse';
export { selectPolicy, policyMatches, PolicySelectionError, type ModelFacts, type WorkspaceScope } from './match';
export { strategyOf } from './strategy';
export { globMatches } from './glob';
export { policyJsonSchema } from './json-schema';
