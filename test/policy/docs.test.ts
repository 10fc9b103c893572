import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { policyJsonSchema, validatePolicy } from '../../src/policy';
import { canaryPolicy } from './fixtures';

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

  // Every YAML example must be valid: a complete policy as is, a fragment merged into a small base
  // policy that declares the gates and approvals the fragments refer to.
  const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  it('has YAML examples', () => {
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(8);
  });
  it.each(yamlBlocks.map((block, i) => [i, block] as const))('YAML example #%i is valid', (_i, block) => {
    const value = parse(block) as Record<string, unknown>;
    if ('name' in value) {
      expect(() => validatePolicy(value, 'docs/policy.md')).not.toThrow();
      return;
    }
    const approval = { approvers: ['a@contoso.com'], timeoutMinutes: 60 };
    const base = canaryPolicy({
      approvals: { 'release-manager': approval, 'model-owner': approval },
      gates: {
        health: { checks: [{ metric: 'errorRate5xx', max: 0.02 }] },
        'absolute-health': { checks: [{ metric: 'latencyP95', max: 900 }] },
      },
    });
    const merged = {
      ...base,
      ...value,
      approvals: { ...base.approvals, ...(value.approvals as object) },
      gates: { ...base.gates, ...(value.gates as object) },
    };
    expect(() => validatePolicy(merged, 'docs/policy.md')).not.toThrow();
  });

  it('links the statistics to docs/gates.md in a "Gates and statistics" section', () => {
    expect(doc).toMatch(/^## Gates and statistics$/m);
    expect(doc).toContain('](gates.md)');
  });
});
