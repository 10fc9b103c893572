/**
 * The one number formatter (src/analysis/number-format.ts): each rule by a table of what people
 * read, and the rounding rules by random values (the text parses back to the value within the
 * rule's precision).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evidenceText,
  fixedDecimals,
  moneyText,
  percentFixed,
  percentScaled,
  percentTrimmed,
  pValueText,
  reasonValueText,
  roundEvidence,
  significant,
  significantPadded,
  summaryValueText,
  trimmedDecimals,
} from '../../src/analysis/number-format';

describe('number formats', () => {
  it.each([
    // [rule, input, text]
    ['evidenceText', () => evidenceText(null), 'n/a'],
    ['evidenceText', () => evidenceText(1234), '1234'],
    ['evidenceText', () => evidenceText(0.0041234), '0.00412'],
    ['evidenceText', () => evidenceText(123.456), '123'],
    ['evidenceText', () => evidenceText(0.5), '0.5'],
    ['pValueText', () => pValueText(0), '0'],
    ['pValueText', () => pValueText(3.71e-20), '3.7e-20'],
    ['pValueText', () => pValueText(0.03125), '0.031'],
    ['pValueText', () => pValueText(0.5), '0.5'],
    ['reasonValueText', () => reasonValueText(0), '0'],
    ['reasonValueText', () => reasonValueText(12345.678), '12345.7'],
    ['reasonValueText', () => reasonValueText(1.23456), '1.235'],
    ['reasonValueText', () => reasonValueText(0.0205123), '0.0205'],
    ['reasonValueText', () => reasonValueText(Number.POSITIVE_INFINITY), 'Infinity'],
    ['summaryValueText', () => summaryValueText(0), '0'],
    ['summaryValueText', () => summaryValueText(812.6), '813'],
    ['summaryValueText', () => summaryValueText(41.27), '41.3'],
    ['percentScaled', () => percentScaled(0.2051), '20.5%'],
    ['percentScaled', () => percentScaled(0.0205), '2.05%'],
    ['percentScaled', () => percentScaled(0.0041), '0.41%'],
    ['percentTrimmed', () => percentTrimmed(0.75), '75%'],
    ['percentTrimmed', () => percentTrimmed(0.123456), '12.35%'],
    ['percentFixed', () => percentFixed(0), '0.0%'],
    ['percentFixed', () => percentFixed(0.985), '98.5%'],
    ['fixedDecimals', () => fixedDecimals(12), '12.0'],
    ['fixedDecimals', () => fixedDecimals(0.4213, 2), '0.42'],
    ['fixedDecimals', () => fixedDecimals(Number.NaN), 'NaN'],
    ['trimmedDecimals', () => trimmedDecimals(1.5, 2), '1.5'],
    ['significantPadded', () => significantPadded(1.2, 3), '1.20'],
    ['moneyText', () => moneyText(0.045, 'EUR'), '0.0450 EUR'],
    ['moneyText', () => moneyText(12.345, 'USD'), '12.35 USD'],
  ] as const)('%s: %s', (_rule, format, text) => {
    expect(format()).toBe(text);
  });

  it('significant digits read back within half a unit of the last digit kept', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 1e9, noNaN: true }), fc.integer({ min: 1, max: 6 }), (value, digits) => {
        const back = Number(significant(value, digits));
        expect(Math.abs(back - value)).toBeLessThanOrEqual(Math.abs(value) * 0.5 * 10 ** (1 - digits) * (1 + 1e-9));
      }),
    );
  });

  it('evidence numbers keep whole numbers exactly and are shown as stored', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -1e9, max: 1e9 }), fc.double({ min: -1e9, max: 1e9, noNaN: true })), (value) => {
        if (Number.isInteger(value)) expect(roundEvidence(value)).toBe(value);
        expect(evidenceText(value)).toBe(String(roundEvidence(value)));
      }),
    );
  });
});
