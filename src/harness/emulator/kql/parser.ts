/**
 * Parser of the emulator's KQL subset: `Table | op | op ...` into an AST. Anything outside the
 * subset is refused here with an error that names it (see lexer.ts for why this is hand-written).
 */
import { KqlError } from './errors';
import { tokenize, type Token } from './lexer';

export type Expr =
  | {
      readonly k: 'lit';
      readonly type: 'string' | 'long' | 'real' | 'bool' | 'datetime' | 'timespan' | 'null';
      readonly v: string | number | boolean | null;
    }
  | { readonly k: 'col'; readonly name: string }
  | { readonly k: 'bin'; readonly op: string; readonly l: Expr; readonly r: Expr }
  | { readonly k: 'neg'; readonly e: Expr }
  | { readonly k: 'in'; readonly e: Expr; readonly list: readonly Expr[]; readonly negate: boolean; readonly ci: boolean }
  | { readonly k: 'between'; readonly e: Expr; readonly lo: Expr; readonly hi: Expr; readonly negate: boolean }
  | { readonly k: 'call'; readonly name: string; readonly args: readonly Expr[] };

export interface NamedExpr {
  readonly name: string | undefined;
  readonly e: Expr;
}

export type Operator =
  | { readonly k: 'where'; readonly e: Expr }
  | { readonly k: 'extend'; readonly cols: readonly NamedExpr[] }
  | { readonly k: 'project'; readonly cols: readonly NamedExpr[] }
  | { readonly k: 'summarize'; readonly aggs: readonly NamedExpr[]; readonly by: readonly NamedExpr[] }
  | { readonly k: 'order'; readonly keys: readonly { readonly e: Expr; readonly desc: boolean; readonly nullsFirst: boolean }[] }
  | { readonly k: 'take'; readonly n: number }
  | { readonly k: 'count' };

export interface Query {
  readonly table: string;
  readonly ops: readonly Operator[];
}

const COMPARISON_OPS = new Set(['==', '!=', '<', '<=', '>', '>=', '=~', '!~']);
const STRING_OPS = new Set([
  'has',
  '!has',
  'contains',
  '!contains',
  'startswith',
  '!startswith',
  'endswith',
  '!endswith',
  'has_cs',
  'contains_cs',
  'startswith_cs',
]);

class Parser {
  private i = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }
  private isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.type === 'op' && t.text === text;
  }
  private isWord(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.type === 'ident' && t.text === text;
  }
  private expectOp(text: string): void {
    const t = this.next();
    if (t.type !== 'op' || t.text !== text)
      throw KqlError.syntax(`expected '${text}' at position ${t.pos} but found '${t.text || 'end of query'}'`, t.pos);
  }
  private expectIdent(what: string): string {
    const t = this.next();
    if (t.type !== 'ident') throw KqlError.syntax(`expected ${what} at position ${t.pos} but found '${t.text || 'end of query'}'`, t.pos);
    return t.text;
  }

  parseQuery(): Query {
    if (this.isWord('let')) throw KqlError.unsupported('operator', 'let');
    const table = this.expectIdent('a table name');
    const ops: Operator[] = [];
    while (this.isOp('|')) {
      this.next();
      ops.push(this.parseOperator());
    }
    if (this.isOp(';')) this.next();
    const t = this.peek();
    if (t.type !== 'eof') throw KqlError.syntax(`unexpected '${t.text}' at position ${t.pos}`, t.pos);
    return { table, ops };
  }

  private parseOperator(): Operator {
    const t = this.next();
    if (t.type !== 'ident') throw KqlError.syntax(`expected an operator after '|' at position ${t.pos}`, t.pos);
    let name = t.text;
    // Hyphenated operator names (mv-expand, project-away...) tokenize as ident '-' ident.
    while (this.isOp('-') && this.peek(1).type === 'ident' && this.peek(1).pos === this.peek().pos + 1) {
      this.next();
      name += `-${this.next().text}`;
    }
    switch (name) {
      case 'where':
      case 'filter':
        return { k: 'where', e: this.parseExpr() };
      case 'extend':
        return { k: 'extend', cols: this.parseNamedList(true) };
      case 'project':
        return { k: 'project', cols: this.parseNamedList(true) };
      case 'summarize': {
        const aggs = this.isWord('by') ? [] : this.parseNamedList(true);
        let by: NamedExpr[] = [];
        if (this.isWord('by')) {
          this.next();
          by = this.parseNamedList(true);
        }
        if (aggs.length === 0 && by.length === 0) throw KqlError.syntax('summarize needs at least one aggregation or a by clause');
        return { k: 'summarize', aggs, by };
      }
      case 'order':
      case 'sort': {
        if (!this.isWord('by')) throw KqlError.syntax(`expected 'by' after '${name}'`, this.peek().pos);
        this.next();
        const keys: { e: Expr; desc: boolean; nullsFirst: boolean }[] = [];
        for (;;) {
          const e = this.parseExpr();
          let desc = true; // KQL sorts descending unless told otherwise
          if (this.isWord('asc')) {
            this.next();
            desc = false;
          } else if (this.isWord('desc')) {
            this.next();
          }
          let nullsFirst = !desc;
          if (this.isWord('nulls')) {
            this.next();
            const which = this.expectIdent("'first' or 'last'");
            if (which !== 'first' && which !== 'last') throw KqlError.syntax(`expected 'first' or 'last' after 'nulls', found '${which}'`);
            nullsFirst = which === 'first';
          }
          keys.push({ e, desc, nullsFirst });
          if (!this.isOp(',')) break;
          this.next();
        }
        return { k: 'order', keys };
      }
      case 'take':
      case 'limit': {
        const n = this.next();
        if (n.type !== 'number' || !Number.isInteger(n.value) || (n.value ?? -1) < 0)
          throw KqlError.syntax(`${name} needs a non-negative integer, found '${n.text}'`, n.pos);
        return { k: 'take', n: n.value ?? 0 };
      }
      case 'count':
        return { k: 'count' };
      default:
        // KQL operators outside the subset (join, union, mv-expand...) and unknown words alike.
        throw KqlError.unsupported('operator', name);
    }
  }

  private parseNamedList(allowNames: boolean): NamedExpr[] {
    const out: NamedExpr[] = [];
    for (;;) {
      let name: string | undefined;
      if (allowNames && this.peek().type === 'ident' && this.isOp('=', 1)) {
        name = this.next().text;
        this.next();
      }
      out.push({ name, e: this.parseExpr() });
      if (!this.isOp(',')) break;
      this.next();
    }
    return out;
  }

  parseExpr(): Expr {
    let left = this.parseAnd();
    while (this.isWord('or')) {
      this.next();
      left = { k: 'bin', op: 'or', l: left, r: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseComparison();
    while (this.isWord('and')) {
      this.next();
      left = { k: 'bin', op: 'and', l: left, r: this.parseComparison() };
    }
    return left;
  }

  private parseComparison(): Expr {
    const left = this.parseAdditive();
    const t = this.peek();
    if (t.type === 'op' && COMPARISON_OPS.has(t.text)) {
      this.next();
      return { k: 'bin', op: t.text, l: left, r: this.parseAdditive() };
    }
    if (t.type === 'ident') {
      if (t.text === 'in' || t.text === '!in' || t.text === 'in~' || t.text === '!in~') {
        this.next();
        this.expectOp('(');
        const list: Expr[] = [];
        if (!this.isOp(')')) {
          for (;;) {
            list.push(this.parseAdditive());
            if (!this.isOp(',')) break;
            this.next();
          }
        }
        this.expectOp(')');
        return { k: 'in', e: left, list, negate: t.text.startsWith('!'), ci: t.text.endsWith('~') };
      }
      if (t.text === 'between' || t.text === '!between') {
        this.next();
        this.expectOp('(');
        const lo = this.parseAdditive();
        this.expectOp('..');
        const hi = this.parseAdditive();
        this.expectOp(')');
        return { k: 'between', e: left, lo, hi, negate: t.text === '!between' };
      }
      if (STRING_OPS.has(t.text)) {
        this.next();
        return { k: 'bin', op: t.text, l: left, r: this.parseAdditive() };
      }
      // Other string operators of KQL (matches regex, hasprefix, has_any...) are outside the subset.
      if (/^!?(has|contains|startswith|endswith|matches|hasprefix|hassuffix)/.test(t.text)) {
        throw KqlError.unsupported('operator', t.text);
      }
    }
    return left;
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().text;
      left = { k: 'bin', op, l: left, r: this.parseMultiplicative() };
    }
    return left;
  }

  private parseMultiplicative(): Expr {
    let left = this.parseUnary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.next().text;
      left = { k: 'bin', op, l: left, r: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Expr {
    if (this.isOp('-')) {
      this.next();
      const inner = this.parseUnary();
      if (inner.k === 'lit' && typeof inner.v === 'number') return { ...inner, v: -inner.v };
      return { k: 'neg', e: inner };
    }
    if (this.isOp('+')) {
      this.next();
      return this.parseUnary();
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expr {
    const t = this.next();
    switch (t.type) {
      case 'string':
        return { k: 'lit', type: 'string', v: t.text };
      case 'number':
        return { k: 'lit', type: /[.eE]/.test(t.text) ? 'real' : 'long', v: t.value ?? 0 };
      case 'timespan':
        return { k: 'lit', type: 'timespan', v: t.value ?? 0 };
      case 'datetime': {
        const ms = parseDateTime(t.text);
        if (ms === undefined) throw KqlError.syntax(`invalid datetime literal 'datetime(${t.text})'`, t.pos);
        return { k: 'lit', type: 'datetime', v: ms };
      }
      case 'op':
        if (t.text === '(') {
          const e = this.parseExpr();
          this.expectOp(')');
          return e;
        }
        throw KqlError.syntax(`unexpected '${t.text}' at position ${t.pos}`, t.pos);
      case 'ident': {
        if (t.text === 'true' || t.text === 'false') return { k: 'lit', type: 'bool', v: t.text === 'true' };
        if (t.text === 'null') return { k: 'lit', type: 'null', v: null };
        if (this.isOp('(')) {
          this.next();
          const args: Expr[] = [];
          if (!this.isOp(')')) {
            for (;;) {
              args.push(this.parseExpr());
              if (!this.isOp(',')) break;
              this.next();
            }
          }
          this.expectOp(')');
          return { k: 'call', name: t.text, args };
        }
        return { k: 'col', name: t.text };
      }
      default:
        throw KqlError.syntax(`unexpected end of query at position ${t.pos}`, t.pos);
    }
  }
}

/** ISO-8601 (with or without zone; no zone means UTC, as in Kusto) to epoch milliseconds. */
export function parseDateTime(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return undefined;
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) || (!trimmed.includes('T') && !trimmed.includes(' ')) ? trimmed : `${trimmed}Z`;
  const normalized = /^\d{4}-\d{2}-\d{2}$/.test(withZone) ? `${withZone}T00:00:00Z` : withZone.replace(' ', 'T');
  // Kusto allows 7 fractional digits; JavaScript parses at most 3.
  const ms = Date.parse(normalized.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(ms) ? undefined : ms;
}

export function parseQuery(text: string): Query {
  return new Parser(tokenize(text)).parseQuery();
}
