/**
 * Tokenizer of the KQL subset the emulator evaluates (see docs/emulator.md for the subset).
 *
 * Hand-written, with the parser and evaluator next to it, because no maintained JavaScript KQL
 * engine exists (Kusto's own parser is .NET; the npm packages found are syntax highlighters or
 * abandoned). The subset is small and fixed: what src/analysis generates for gate checks.
 */
import { KqlError } from './errors';

type TokenType = 'ident' | 'string' | 'number' | 'timespan' | 'datetime' | 'op' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** ident: the name; string: the decoded text; number/timespan: the source text; datetime: the raw inside of datetime(...); op: the operator. */
  readonly text: string;
  readonly value?: number;
  readonly pos: number;
}

const TIMESPAN_UNITS: Readonly<Record<string, number>> = {
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  ms: 1,
  milli: 1,
  millis: 1,
  millisecond: 1,
  milliseconds: 1,
};

const OPERATORS = [
  '..',
  '==',
  '!=',
  '<>',
  '<=',
  '>=',
  '=~',
  '!~',
  '|',
  '(',
  ')',
  ',',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '[',
  ']',
  '{',
  '}',
  ':',
  ';',
  '.',
];

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const isIdentStart = (c: string): boolean => /[A-Za-z_$]/.test(c);
  const isIdentPart = (c: string): boolean => /[A-Za-z0-9_$]/.test(c);
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const start = i;
    // Strings: "..." or '...' with \" \' \\ \n \t escapes; @"..." verbatim.
    if (c === '"' || c === "'" || (c === '@' && (text[i + 1] === '"' || text[i + 1] === "'"))) {
      const verbatim = c === '@';
      if (verbatim) i++;
      const quote = text[i];
      i++;
      let out = '';
      for (;;) {
        if (i >= text.length) throw KqlError.syntax(`unterminated string literal starting at position ${start}`, start);
        const ch = text[i] ?? '';
        if (ch === quote) {
          i++;
          break;
        }
        if (ch === '\\' && !verbatim) {
          const next = text[i + 1] ?? '';
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
          const mapped = map[next];
          if (mapped === undefined) throw KqlError.syntax(`unknown escape sequence '\\${next}' in string literal at position ${i}`, i);
          out += mapped;
          i += 2;
          continue;
        }
        out += ch;
        i++;
      }
      tokens.push({ type: 'string', text: out, pos: start });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (/[0-9]/.test(text[i] ?? '')) i++;
      if (text[i] === '.' && /[0-9]/.test(text[i + 1] ?? '')) {
        i++;
        while (/[0-9]/.test(text[i] ?? '')) i++;
      }
      if ((text[i] === 'e' || text[i] === 'E') && /[0-9+-]/.test(text[i + 1] ?? '')) {
        i += 2;
        while (/[0-9]/.test(text[i] ?? '')) i++;
      }
      const numberText = text.slice(start, i);
      // A unit right after the number makes a timespan literal: 5m, 1h, 30s, 1d, 100ms.
      let j = i;
      while (/[A-Za-z]/.test(text[j] ?? '')) j++;
      const unit = text.slice(i, j);
      if (unit !== '') {
        const factor = TIMESPAN_UNITS[unit.toLowerCase()];
        if (factor === undefined) throw KqlError.syntax(`unknown timespan unit '${unit}' in '${text.slice(start, j)}'`, start);
        tokens.push({ type: 'timespan', text: text.slice(start, j), value: Number(numberText) * factor, pos: start });
        i = j;
        continue;
      }
      tokens.push({ type: 'number', text: numberText, value: Number(numberText), pos: start });
      continue;
    }
    if (isIdentStart(c) || (c === '!' && isIdentStart(text[i + 1] ?? ''))) {
      i++;
      while (isIdentPart(text[i] ?? '')) i++;
      let name = text.slice(start, i);
      // in~ / !in~ (case-insensitive in)
      if ((name === 'in' || name === '!in') && text[i] === '~') {
        name += '~';
        i++;
      }
      // datetime(...) takes raw text, not an expression: datetime(2026-11-23T10:00:00Z)
      if (name === 'datetime' || name === 'todatetime') {
        let j = i;
        while (/\s/.test(text[j] ?? '')) j++;
        if (name === 'datetime' && text[j] === '(') {
          const close = text.indexOf(')', j);
          if (close < 0) throw KqlError.syntax(`unterminated datetime( literal at position ${start}`, start);
          tokens.push({
            type: 'datetime',
            text: text
              .slice(j + 1, close)
              .trim()
              .replace(/^["']|["']$/g, ''),
            pos: start,
          });
          i = close + 1;
          continue;
        }
      }
      tokens.push({ type: 'ident', text: name, pos: start });
      continue;
    }
    if (c === '[' && (text[i + 1] === '"' || text[i + 1] === "'")) {
      // ['column name'] quoting
      const quote = text[i + 1];
      const close = text.indexOf(`${quote}]`, i + 2);
      if (close < 0) throw KqlError.syntax(`unterminated [' identifier at position ${start}`, start);
      tokens.push({ type: 'ident', text: text.slice(i + 2, close), pos: start });
      i = close + 2;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw KqlError.syntax(`unexpected character '${c}' at position ${i}`, i);
    tokens.push({ type: 'op', text: op === '<>' ? '!=' : op, pos: start });
    i += op.length;
  }
  tokens.push({ type: 'eof', text: '', pos: text.length });
  return tokens;
}
