/**
 * Simulated model behaviour: what a model version answers at a given virtual minute.
 * Latency is log-normal, fitted to the configured p50 and p95 (ln X ~ N(mu, sigma) with
 * mu = ln p50 and sigma = (ln p95 - ln p50) / z(0.95)).
 */
import type { Random } from './prng';
import { behaviorSchema, type ModelBehavior, type ModelBehaviorInput } from './types';

const Z95 = 1.6448536269514722;

export interface EffectiveBehavior {
  readonly errorRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly smokeTestFails: boolean;
}

const DEFAULT_BEHAVIOR: ModelBehavior = behaviorSchema.parse({});

export class BehaviorBook {
  private readonly byKey = new Map<string, ModelBehavior>();

  set(modelKey: string, behavior: ModelBehaviorInput): void {
    const parsed = behaviorSchema.safeParse(behavior);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new Error(`behavior["${modelKey}"]: ${problems}`);
    }
    // Changes apply in minute order, each overriding what it names.
    const changes = [...parsed.data.changes].sort((a, b) => a.atMinute - b.atMinute);
    this.byKey.set(modelKey, { ...parsed.data, changes });
  }

  get(modelKey: string): ModelBehavior {
    return this.byKey.get(modelKey) ?? DEFAULT_BEHAVIOR;
  }

  provisioningFails(modelKey: string): boolean {
    return this.get(modelKey).provisioningFails;
  }

  at(modelKey: string, minute: number): EffectiveBehavior {
    const base = this.get(modelKey);
    let errorRate = base.errorRate;
    let { p50, p95 } = base.latencyMs;
    let smokeTestFails = base.smokeTestFails;
    for (const change of base.changes) {
      if (change.atMinute > minute) break;
      if (change.errorRate !== undefined) errorRate = change.errorRate;
      if (change.latencyMs !== undefined) ({ p50, p95 } = change.latencyMs);
      if (change.smokeTestFails !== undefined) smokeTestFails = change.smokeTestFails;
    }
    return { errorRate, p50Ms: p50, p95Ms: p95, smokeTestFails };
  }
}

/** One latency draw in whole milliseconds (the traffic log stores integers, as Azure does). */
export function sampleLatencyMs(behavior: EffectiveBehavior, random: Random): number {
  const mu = Math.log(behavior.p50Ms);
  const sigma = Math.max(0, (Math.log(behavior.p95Ms) - mu) / Z95);
  return Math.max(1, Math.round(Math.exp(mu + sigma * random.normal())));
}
