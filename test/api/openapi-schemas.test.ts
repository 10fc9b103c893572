/**
 * The OpenAPI document describes the status with the one status schema (src/plan/types.ts): the
 * RolloutStatus component lists exactly the schema's fields, requires exactly its required ones,
 * and the detail view and gate results point at the shared components.
 */
import { describe, expect, it } from 'vitest';
import { apiRequest } from '../../src/api/http';
import { buildOpenApiDocument } from '../../src/api/openapi';
import { getRollout } from '../../src/api/rollouts';
import { rolloutDetailSchema } from '../../src/api/schemas';
import { gateResultSchema } from '../../src/analysis/types';
import { rolloutStatusSchema } from '../../src/plan/types';
import { makeDeps, statusOf } from './fakes';

interface ObjectSchema {
  readonly properties?: Record<string, { $ref?: string; items?: { $ref?: string }; anyOf?: { $ref?: string }[] }>;
  readonly required?: readonly string[];
}

const doc = buildOpenApiDocument('http://localhost');
const components = (doc.components?.schemas ?? {}) as Record<string, ObjectSchema>;

function fieldsOf(shape: Record<string, { safeParse(value: unknown): { success: boolean } }>): { all: string[]; required: string[] } {
  const all = Object.keys(shape).sort();
  // A field is optional when the schema accepts its absence.
  const required = all.filter((key) => !shape[key]!.safeParse(undefined).success);
  return { all, required };
}

describe('OpenAPI and the one status schema', () => {
  it.each([
    ['RolloutStatus', rolloutStatusSchema.shape],
    ['GateResult', gateResultSchema.shape],
  ] as const)('the %s component lists the same fields as its schema', (name, shape) => {
    const component = components[name];
    expect(component, `component ${name}`).toBeDefined();
    const { all, required } = fieldsOf(shape);
    expect(Object.keys(component!.properties ?? {}).sort()).toEqual(all);
    expect([...(component!.required ?? [])].sort()).toEqual(required);
  });

  it('the detail view and the status point at the shared components', () => {
    const detail = components.RolloutDetail!.properties!.status!;
    expect(JSON.stringify(detail)).toContain('#/components/schemas/RolloutStatus');
    expect(components.RolloutStatus!.properties!.gates!.items!.$ref).toBe('#/components/schemas/GateResult');
    expect(JSON.stringify(components.GateResult!.properties!.evidence)).toContain('#/components/schemas/MetricEvidence');
  });

  it('the detail the API answers is what the document describes, the status inside it unchanged', async () => {
    const deps = makeDeps();
    const status = statusOf({ gates: [] });
    deps.client.put('r1', 'Running', status);
    const request = apiRequest({
      method: 'GET',
      url: 'http://ctl.example/api/rollouts/r1',
      params: { id: 'r1' },
      headers: { 'x-functions-key': 'test-key' },
      body: '',
    });
    const answer = (await getRollout(request, deps)).jsonBody;
    expect(rolloutDetailSchema.parse(answer)).toEqual(answer);
    expect((answer as { status: unknown }).status).toEqual(status);
    expect(Object.keys(components.RolloutDetail!.properties ?? {}).sort()).toEqual(Object.keys(rolloutDetailSchema.shape).sort());
  });
});
