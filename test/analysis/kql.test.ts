import { describe, expect, it } from 'vitest';
import { fillKqlTemplate, kqlDatetime, kqlIdentifier, kqlNumber, kqlString, kqlStringList, kqlTimespan } from '../../src/analysis/kql';
import { ValidationError } from '../../src/errors';

/** Decode a double-quoted literal the way the emulator's subset does (only \" and \\ escapes). */
function decodeLiteral(literal: string): string {
  expect(literal.startsWith('"') && literal.endsWith('"')).toBe(true);
  let out = '';
  for (let i = 1; i < literal.length - 1; i++) {
    const ch = literal[i];
    if (ch === '\\') {
      const next = literal[i + 1];
      expect(next === '"' || next === '\\').toBe(true);
      out += next;
      i++;
    } else {
      expect(ch).not.toBe('"'); // an unescaped quote would end the literal early
      out += ch;
    }
  }
  return out;
}

describe('kqlString', () => {
  it.each([
    ['plain', 'credit-scoring', '"credit-scoring"'],
    ['double quote', 'a"b', '"a\\"b"'],
    ['backslash', 'a\\b', '"a\\\\b"'],
    ['backslash before quote', 'a\\"', '"a\\\\\\""'],
    ['single quote untouched', "it's", '"it\'s"'],
    ['empty', '', '""'],
    ['unicode', 'modèle-é', '"modèle-é"'],
  ])('%s', (_name, input, expected) => {
    const out = kqlString(input);
    expect(out).toBe(expected);
    expect(decodeLiteral(out)).toBe(input);
  });

  it.each([
    ['"; drop table x', 'quote-semicolon injection'],
    ['" | union AmlOnlineEndpointTrafficLog | where "1" == "1', 'pipe union injection'],
    ['x\\" or 1==1 or "', 'backslash-quote injection'],
    ['green") or ("a"=="a', 'paren injection'],
  ])('keeps the injection attempt %j inside one literal (%s)', (input) => {
    const out = kqlString(input);
    expect(decodeLiteral(out)).toBe(input);
    // The query parses the literal as one token: no unescaped quote before the final one.
    expect(out.slice(1, -1).replace(/\\\\/g, '').replace(/\\"/g, '')).not.toContain('"');
  });

  it.each([
    ['newline', 'a\nb'],
    ['carriage return', 'a\rb'],
    ['tab', 'a\tb'],
    ['NUL', 'a\u0000b'],
    ['line separator', 'a\u2028b'],
    ['lone surrogate', 'a\ud800b'],
  ])('refuses %s', (_name, input) => {
    expect(() => kqlString(input, 'endpoint')).toThrow(ValidationError);
    expect(() => kqlString(input, 'endpoint')).toThrow(/endpoint/);
  });

  it('refuses over-long values and non-strings', () => {
    expect(() => kqlString('x'.repeat(1025))).toThrow(/at most 1024/);
    expect(() => kqlString(42 as unknown as string)).toThrow(/expected a string/);
  });
});

describe('kqlStringList', () => {
  it('renders a parenthesised list', () => {
    expect(kqlStringList(['blue', 'gr"een'])).toBe('("blue", "gr\\"een")');
  });
  it('refuses an empty list and names the bad element', () => {
    expect(() => kqlStringList([])).toThrow(/at least one/);
    expect(() => kqlStringList(['ok', 'bad\n'], 'deployments')).toThrow(/deployments\[1\]/);
  });
});

describe('kqlIdentifier', () => {
  it.each(['DeploymentName', 'TotalDurationMs', '_x', 'p95'])('accepts %s', (name) => {
    expect(kqlIdentifier(name)).toBe(name);
  });
  it.each([
    ['space', 'Deployment Name'],
    ['leading digit', '9lives'],
    ['pipe injection', 'x | union y'],
    ['quote', 'a"b'],
    ['bracket quoting', "['x']"],
    ['dash', 'a-b'],
    ['keyword', 'where'],
    ['keyword any case', 'Union'],
    ['empty', ''],
  ])('refuses %s', (_name, input) => {
    expect(() => kqlIdentifier(input, 'column')).toThrow(ValidationError);
  });
});

describe('kqlDatetime', () => {
  it('renders ISO-8601 UTC', () => {
    expect(kqlDatetime(Date.UTC(2026, 10, 23, 10, 0, 0))).toBe('datetime(2026-11-23T10:00:00.000Z)');
  });
  it.each([
    ['NaN', Number.NaN],
    ['fraction', 1.5],
    ['seconds instead of ms', 1_795_000_000],
    ['beyond 9999', 8.64e15],
  ])('refuses %s', (_name, input) => {
    expect(() => kqlDatetime(input, 'window.fromMs')).toThrow(/window\.fromMs/);
  });
});

describe('kqlNumber and kqlTimespan', () => {
  it.each([
    [500, '500'],
    [0.02, '0.02'],
    [-3, '-3'],
    [0, '0'],
  ])('number %s', (input, expected) => {
    expect(kqlNumber(input)).toBe(expected);
  });
  it.each([Number.NaN, Infinity, 1e-7, 1e21])('refuses %s', (input) => {
    expect(() => kqlNumber(input)).toThrow(ValidationError);
  });
  it.each([
    [300_000, '5m'],
    [3_600_000, '1h'],
    [90_000, '90s'],
    [86_400_000, '1d'],
    [250, '250ms'],
  ])('timespan %s ms', (input, expected) => {
    expect(kqlTimespan(input)).toBe(expected);
  });
  it('refuses a non-positive timespan', () => {
    expect(() => kqlTimespan(0)).toThrow(ValidationError);
  });
});

describe('fillKqlTemplate', () => {
  const values = {
    endpoint: 'credit-scoring',
    baseline: 'blue',
    candidate: 'green',
    fromMs: Date.UTC(2026, 10, 23, 10, 0, 0),
    toMs: Date.UTC(2026, 10, 23, 10, 5, 0),
  };

  it('fills every placeholder with an escaped literal', () => {
    const out = fillKqlTemplate(
      'T | where EndpointName == {endpoint} and DeploymentName in {deployments} and TimeGenerated >= {from} and TimeGenerated < {to} | extend c = {candidate}, b = {baseline}',
      values,
    );
    expect(out).toBe(
      'T | where EndpointName == "credit-scoring" and DeploymentName in ("blue", "green") and TimeGenerated >= datetime(2026-11-23T10:00:00.000Z) and TimeGenerated < datetime(2026-11-23T10:05:00.000Z) | extend c = "green", b = "blue"',
    );
  });

  it('escapes hostile values instead of letting them end the literal', () => {
    const out = fillKqlTemplate('T | where EndpointName == {endpoint}', { ...values, endpoint: 'x" | union Secrets | where "1"=="1' });
    expect(out).toBe('T | where EndpointName == "x\\" | union Secrets | where \\"1\\"==\\"1"');
  });

  it('leaves braces that are not placeholders (dynamic literals) alone', () => {
    expect(fillKqlTemplate('T | extend d = dynamic({"a": 1}) | where EndpointName == {endpoint}', values)).toBe(
      'T | extend d = dynamic({"a": 1}) | where EndpointName == "credit-scoring"',
    );
  });

  it.each([
    ['unknown placeholder', 'T | where x == {model}', /unknown placeholder \{model\}/],
    ['placeholder inside a double-quoted string', 'T | where x == "{endpoint}"', /inside a string literal/],
    ['placeholder inside a single-quoted string', "T | where x == '{endpoint}'", /inside a string literal/],
    ['placeholder inside a comment', 'T // {endpoint}\n| take 1', /inside a comment/],
    ['unterminated string', 'T | where x == "abc', /unterminated string/],
    ['placeholder inside a multi-line string', 'T | where x == ```\n{endpoint}\n```', /inside a string literal/],
    ['unterminated multi-line string', 'T | where x == ```abc', /unterminated/],
    ['empty', '   ', /empty/],
  ])('refuses %s', (_name, template, message) => {
    expect(() => fillKqlTemplate(template, values, 'customMetrics.m.kql')).toThrow(message);
    expect(() => fillKqlTemplate(template, values, 'customMetrics.m.kql')).toThrow(/customMetrics\.m\.kql/);
  });

  it('handles escaped quotes inside template strings', () => {
    expect(fillKqlTemplate('T | where a == "x\\"y" and EndpointName == {endpoint}', values)).toBe(
      'T | where a == "x\\"y" and EndpointName == "credit-scoring"',
    );
  });

  it('refuses a bad value for a placeholder', () => {
    expect(() => fillKqlTemplate('T | where x == {endpoint}', { ...values, endpoint: 'a\nb' })).toThrow(/\{endpoint\}/);
  });
});
