/**
 * How numbers read for people: the one place of every rounding rule the status, the journal,
 * notifications, the CLI and the evaluator's reports use. Each rule is named for what it shows;
 * the scenario baselines hold their output, so a rule changes only on purpose.
 *
 * Hand-written on toPrecision / toFixed: Intl.NumberFormat would add grouping separators and
 * locale digits to text that is also parsed back (journal, JSON facts) and compared exactly.
 */

/** Evidence numbers (gate values, stored evidence history) keep this many significant digits. */
const EVIDENCE_DIGITS = 3;

/** `value` rounded to `digits` significant digits, as a number (0.0041234 -> 0.00412). */
function roundSignificant(value: number, digits: number): number {
  return Number(value.toPrecision(digits));
}

/** `digits` significant digits, trailing zeros dropped: 0.00412, 1.25, 123. */
export function significant(value: number, digits: number): string {
  return String(roundSignificant(value, digits));
}

/** At most `decimals` decimals, trailing zeros dropped: 12.5, 0.33, 7. */
export function trimmedDecimals(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}

/** Exactly `decimals` decimals, so a table's column lines up (12.0); non-finite values as they are. */
export function fixedDecimals(value: number, decimals = 1): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : String(value);
}

/** An evidence number as stored: whole numbers as they are, else three significant digits. */
export function roundEvidence(value: number): number {
  return Number.isInteger(value) ? value : roundSignificant(value, EVIDENCE_DIGITS);
}

/** An evidence number for reading; null (no data) reads n/a. */
export function evidenceText(value: number | null): string {
  return value === null ? 'n/a' : String(roundEvidence(value));
}

/** A p-value: 0, scientific below 1e-4 (3.7e-20), else two significant digits (0.031). */
export function pValueText(p: number): string {
  if (p === 0) return '0';
  return p < 1e-4 ? p.toExponential(1) : significant(p, 2);
}

/** A share (0.1234) as a percentage with at most `decimals` decimals: 12.34%, 50%. */
export function percentTrimmed(share: number, decimals = 2): string {
  return `${trimmedDecimals(share * 100, decimals)}%`;
}

/** A share as a percentage with exactly `decimals` decimals, for tables: 0.0%, 98.5%. */
export function percentFixed(share: number, decimals = 1): string {
  return `${fixedDecimals(share * 100, decimals)}%`;
}

/** A rate as a percentage with the precision its size needs: 12.3%, 2.05%, 0.41%. */
export function percentScaled(share: number): string {
  const p = share * 100;
  return `${p >= 10 ? p.toFixed(1) : p >= 1 ? p.toFixed(2) : p.toPrecision(2)}%`;
}

/** Money: four decimals below 1 (per-hour prices), else two: 0.0450 EUR, 12.34 EUR. */
export function moneyText(amount: number, currency: string): string {
  return `${amount.toFixed(amount < 1 ? 4 : 2)} ${currency}`;
}

/** A value or threshold in a gate's reason: 0, one decimal from 1000, four significant digits from 1, else three. */
export function reasonValueText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return String(Math.round(value * 10) / 10);
  return significant(value, abs >= 1 ? 4 : 3);
}

/** A measured value in a gate summary: whole numbers from 100, else three significant digits. */
export function summaryValueText(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return String(Math.round(value));
  return significant(value, 3);
}

/**
 * `digits` significant digits with trailing zeros kept (1.20, 0.050): only the adaptive-bake
 * notes read this way, and the scenario baselines hold their journal text.
 */
export function significantPadded(value: number, digits: number): string {
  return value.toPrecision(digits);
}
