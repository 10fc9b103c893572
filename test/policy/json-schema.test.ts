import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { policyJsonSchema } from '../../src/policy';
import { renderPolicyJsonSchema } from '../../src/policy-store/export-json-schema';

describe('policy JSON Schema', () => {
  it('is committed up to date (run `npm run build && npm run schema`)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'schema', 'policy.schema.json'), 'utf8');
    expect(committed).toBe(renderPolicyJsonSchema());
  });

  it('describes the policy for editors: required fields, strict objects, one strategy, descriptions', () => {
    const schema = policyJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, Record<string, unknown>>;
    };
    expect(schema.required.sort()).toEqual(['match', 'name', 'smokeTest', 'strategy', 'target']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.strategy).toMatchObject({ minProperties: 1, maxProperties: 1 });
    expect(Object.keys(schema.properties.strategy?.properties as object)).toEqual(['canary', 'blueGreen', 'shadow', 'abTest', 'recreate']);
    expect(String(schema.properties.retentionMinutes?.description)).toMatch(/old deployment/);
  });

  it('accepts the example policies structurally (every top-level key is known)', () => {
    const schema = policyJsonSchema() as { properties: Record<string, unknown> };
    for (const file of ['canary.yaml', 'blue-green.yaml', 'shadow.yaml', 'ab-test.yaml', 'recreate.yaml']) {
      const doc = parse(readFileSync(join(__dirname, '..', '..', 'policies', file), 'utf8')) as Record<string, unknown>;
      for (const key of Object.keys(doc)) expect(Object.keys(schema.properties), `${file}: ${key}`).toContain(key);
    }
  });
});
