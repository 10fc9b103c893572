/**
 * HTTP trigger route templates, as the Functions host (ASP.NET routing) understands them:
 * literal segments, `{name}`, optional `{name?}`, defaults `{name=value}`, constraints
 * `{id:int}` / `{id:alpha}` / `{id:guid}` / ... (checked where we know them, otherwise accepted),
 * and a catch-all `{*rest}`. Matching is case-insensitive on literals, like the host.
 */

interface Segment {
  readonly literal?: string;
  readonly param?: string;
  readonly optional?: boolean;
  readonly catchAll?: boolean;
  readonly defaultValue?: string;
  readonly constraints?: readonly string[];
}

export interface CompiledRoute {
  readonly template: string;
  match(path: string): Record<string, string> | undefined;
}

const CONSTRAINTS: Record<string, (value: string) => boolean> = {
  int: (v) => /^-?\d+$/.test(v),
  long: (v) => /^-?\d+$/.test(v),
  bool: (v) => /^(true|false)$/i.test(v),
  alpha: (v) => /^[a-z]+$/i.test(v),
  guid: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
  double: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
  float: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
  decimal: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
  datetime: (v) => !Number.isNaN(Date.parse(v)),
};

function checkConstraint(constraint: string, value: string): boolean {
  const simple = CONSTRAINTS[constraint.toLowerCase()];
  if (simple) return simple(value);
  const withArgument = /^(\w+)\((.*)\)$/.exec(constraint);
  if (withArgument) {
    const [, name, argument = ''] = withArgument;
    switch (name?.toLowerCase()) {
      case 'minlength':
        return value.length >= Number(argument);
      case 'maxlength':
        return value.length <= Number(argument);
      case 'length':
        return argument.includes(',')
          ? value.length >= Number(argument.split(',')[0]) && value.length <= Number(argument.split(',')[1])
          : value.length === Number(argument);
      case 'min':
        return Number(value) >= Number(argument);
      case 'max':
        return Number(value) <= Number(argument);
      case 'range': {
        const [low, high] = argument.split(',').map(Number);
        return Number(value) >= (low ?? -Infinity) && Number(value) <= (high ?? Infinity);
      }
      case 'regex':
        try {
          return new RegExp(argument).test(value);
        } catch {
          return true;
        }
      default:
        return true;
    }
  }
  // Unknown constraints are accepted rather than rejecting requests Azure would serve.
  return true;
}

function parseSegment(text: string, template: string): Segment {
  const match = /^\{(\*{0,2})([^}:=?]+)((?::[^}=?]+(?:\([^)]*\))?)*)(\?)?(?:=([^}]*))?\}$/.exec(text);
  if (!match) {
    if (text.includes('{') || text.includes('}')) throw new Error(`route "${template}": cannot parse segment "${text}"`);
    return { literal: decodeURIComponent(text).toLowerCase() };
  }
  const [, star = '', name = '', constraintText = '', optional, defaultValue] = match;
  const constraints = constraintText ? constraintText.slice(1).split(/:(?![^(]*\))/) : [];
  return { param: name, catchAll: star.length > 0, optional: optional === '?' || star.length > 0, defaultValue, constraints };
}

export function compileRoute(template: string): CompiledRoute {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments = trimmed === '' ? [] : trimmed.split('/').map((text) => parseSegment(text, template));
  return {
    template: trimmed,
    match(path: string): Record<string, string> | undefined {
      const parts = path.replace(/^\/+|\/+$/g, '');
      const values = parts === '' ? [] : parts.split('/');
      const params: Record<string, string> = {};
      let index = 0;
      for (const segment of segments) {
        if (segment.catchAll) {
          const rest = values.slice(index).map(safeDecode).join('/');
          if (rest !== '') params[segment.param as string] = rest;
          index = values.length;
          continue;
        }
        const raw = values[index];
        if (raw === undefined) {
          if (segment.param && (segment.optional || segment.defaultValue !== undefined)) {
            if (segment.defaultValue !== undefined) params[segment.param] = segment.defaultValue;
            continue;
          }
          return undefined;
        }
        const value = safeDecode(raw);
        if (segment.literal !== undefined) {
          if (value.toLowerCase() !== segment.literal) return undefined;
        } else if (segment.param) {
          for (const constraint of segment.constraints ?? []) if (!checkConstraint(constraint, value)) return undefined;
          params[segment.param] = value;
        }
        index++;
      }
      return index === values.length ? params : undefined;
    },
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
