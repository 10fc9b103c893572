/** Reading the one declared strategy block of a policy as a tagged union. */
import type { AbTestPolicy, BlueGreenPolicy, CanaryPolicy, Policy, RecreatePolicy, ShadowPolicy, StrategyKey } from './schema';
import { STRATEGY_KEYS } from './schema';

export type DeclaredStrategy =
  | { readonly kind: 'canary'; readonly spec: CanaryPolicy }
  | { readonly kind: 'blueGreen'; readonly spec: BlueGreenPolicy }
  | { readonly kind: 'shadow'; readonly spec: ShadowPolicy }
  | { readonly kind: 'abTest'; readonly spec: AbTestPolicy }
  | { readonly kind: 'recreate'; readonly spec: RecreatePolicy };

/** The strategy keys present in a (possibly invalid) strategy block. */
export function declaredStrategyKeys(strategy: Policy['strategy']): StrategyKey[] {
  return STRATEGY_KEYS.filter((key) => strategy[key] !== undefined);
}

/**
 * The policy's strategy. A validated policy declares exactly one; anything else is a programming
 * error (validation was skipped), hence a plain Error.
 */
export function strategyOf(policy: Policy): DeclaredStrategy {
  const s = policy.strategy;
  const keys = declaredStrategyKeys(s);
  if (keys.length !== 1)
    throw new Error(`policy "${policy.name}" must declare exactly one strategy, found ${keys.length}; validate it first`);
  if (s.canary) return { kind: 'canary', spec: s.canary };
  if (s.blueGreen) return { kind: 'blueGreen', spec: s.blueGreen };
  if (s.shadow) return { kind: 'shadow', spec: s.shadow };
  if (s.abTest) return { kind: 'abTest', spec: s.abTest };
  if (s.recreate) return { kind: 'recreate', spec: s.recreate };
  throw new Error('unreachable: no strategy');
}
