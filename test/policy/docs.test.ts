import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema } from '../../src/policy';

/** Every property name anywhere in the JSON Schema. */
function fieldNames(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => fieldNames(n, out));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object') for (const key of Object.keys(o.properties)) out.add(key);
    for (const value of Object.values(o)) fieldNames(value, out);
  }
  return out;
}

describe('docs/policy.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'policy.md'), 'utf8');
  const codeSpans = [...doc.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');

  it.each([...fieldNames(policyJsonSchema())].sort())('documents the field %s', (field) => {
    const pattern = new RegExp(`(^|[^A-Za-z0-9])${field.replace(/\$/g, '\\$')}($|[^A-Za-z0-9])`);
    expect(codeSpans.some((span) => pattern.test(span))).toBe(true);
  });

  it('links the statistics to docs/gates.md in a "Gates and statistics" section', () => {
    expect(doc).toMatch(/^## Gates and statistics$/m);
    expect(doc).toContain('](gates.md)');
  });
});
