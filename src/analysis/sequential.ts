/**
 * The sequential method: how much of the gate's false-failure budget alpha = 1 - confidence
 * each look may spend, so that checking a gate again and again does not inflate false rollbacks.
 *
 * Lan-DeMets alpha spending over `plannedLooks`, with the looks spread evenly in information
 * time (t_k = k / K). Look k tests at the INCREMENTAL level
 *     alpha_k = f(t_k) - f(t_{k-1}),
 * and a check fails only when its p-value is at most alpha_k. Because the alpha_k add up to at
 * most alpha, the chance of any false failure over all looks is at most alpha by the union
 * (Bonferroni) bound, whatever the dependence between looks: it holds for cumulative windows,
 * sliding windows and overlapping windows alike. (The exact Lan-DeMets boundaries would be a
 * little less conservative, but they assume cumulative data, which sliding gate windows are not.)
 *
 * Looks beyond the plan (extensions) must still be able to catch a clearly bad candidate, so the
 * planned looks spend (1 - OVERTIME_ALPHA_SHARE) of alpha and each extra look k > K spends
 * OVERTIME_ALPHA_SHARE * alpha / 2^(k - K): the total stays below alpha for any number of looks.
 */
import { ValidationError } from '../errors';
import { normalCdf, normalQuantile } from './statistics';

/**
 * Pocock-type spends alpha almost evenly (a bad candidate is caught early); O'Brien-Fleming-type
 * spends very little early and most at the last planned look.
 */
export type SpendingFunction = 'pocock' | 'obrienFleming';
const SPENDING_FUNCTIONS: readonly SpendingFunction[] = ['pocock', 'obrienFleming'];
export const DEFAULT_SPENDING_FUNCTION: SpendingFunction = 'pocock';

/** Share of alpha kept back for looks beyond plannedLooks. */
export const OVERTIME_ALPHA_SHARE = 0.1;

/**
 * Cumulative alpha spent by information time t in [0, 1] (Lan & DeMets 1983):
 *   Pocock-type:          f(t) = alpha * ln(1 + (e - 1) * t)
 *   O'Brien-Fleming-type: f(t) = 2 * (1 - Phi(z_{1 - alpha/2} / sqrt(t)))
 * Both give f(0) = 0 and f(1) = alpha.
 */
export function spentAlpha(t: number, alpha: number, fn: SpendingFunction): number {
  if (t <= 0) return 0;
  const tt = Math.min(1, t);
  if (fn === 'pocock') return alpha * Math.log(1 + (Math.E - 1) * tt);
  return 2 * (1 - normalCdf(normalQuantile(1 - alpha / 2) / Math.sqrt(tt)));
}

export interface SequentialLook {
  readonly method: string;
  readonly look: number;
  readonly plannedLooks: number;
  /** The gate's whole false-failure budget (1 - confidence). */
  readonly alphaTotal: number;
  /** The significance level a fail at this look must reach. */
  readonly alphaThisLook: number;
  /** Spent by all looks up to and including this one. */
  readonly alphaSpentThrough: number;
}

function describeSpending(fn: SpendingFunction): string {
  return fn === 'pocock' ? 'Lan-DeMets alpha spending, Pocock-type' : "Lan-DeMets alpha spending, O'Brien-Fleming-type";
}

/** The alpha a look may spend (see the module comment for the rule). */
export function alphaForLook(
  look: number,
  plannedLooks: number,
  alphaTotal: number,
  fn: SpendingFunction = DEFAULT_SPENDING_FUNCTION,
): SequentialLook {
  if (!Number.isInteger(look) || look < 1) throw new ValidationError('look', `expected a whole number >= 1, got ${String(look)}`);
  if (!Number.isInteger(plannedLooks) || plannedLooks < 1) {
    throw new ValidationError('plannedLooks', `expected a whole number >= 1, got ${String(plannedLooks)}`);
  }
  if (!(alphaTotal > 0 && alphaTotal < 1)) throw new ValidationError('alpha', `expected 0 < alpha < 1, got ${String(alphaTotal)}`);
  if (!SPENDING_FUNCTIONS.includes(fn))
    throw new ValidationError('spending', `expected one of ${SPENDING_FUNCTIONS.join(', ')}, got ${String(fn)}`);
  const planned = alphaTotal * (1 - OVERTIME_ALPHA_SHARE);
  const overtime = alphaTotal * OVERTIME_ALPHA_SHARE;
  const cumulative = (k: number): number => {
    if (k <= plannedLooks) return spentAlpha(k / plannedLooks, planned, fn);
    return planned + overtime * (1 - 2 ** -(k - plannedLooks));
  };
  const through = cumulative(look);
  // Overtime shares computed directly: a difference of two nearly equal sums would round to 0.
  const thisLook = look > plannedLooks ? overtime * 2 ** -(look - plannedLooks) : Math.max(0, through - cumulative(look - 1));
  return {
    method: describeSpending(fn),
    look,
    plannedLooks,
    alphaTotal,
    alphaThisLook: thisLook,
    alphaSpentThrough: through,
  };
}
