/**
 * The plan schema (src/plan/types.ts) is the only definition of a plan: what the compiler builds
 * from every example policy parses to itself, and what drifts from it is refused at the activity
 * boundary with the field that is wrong.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../src/orchestration/activity-contracts';
import { parsePolicy } from '../../src/policy/parse';
import { compilePlan } from '../../src/plan/compile';
import { planSchema } from '../../src/plan/types';
import { compileInput } from './inputs';

const FOLDERS = [join(__dirname, '../../policies'), join(__dirname, '../../demo/policies')];
const files = FOLDERS.flatMap((folder) =>
  readdirSync(folder)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => join(folder, f)),
);

describe('the plan schema', () => {
  it.each(files)('a plan compiled from %s parses, after JSON, to itself', (file) => {
    const plan = compilePlan(parsePolicy(readFileSync(file, 'utf8'), file), compileInput());
    expect(planSchema.parse(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
  });

  it('refuses a drifting plan, naming the fields', () => {
    const plan = compilePlan(parsePolicy(readFileSync(files[0]!, 'utf8'), files[0]!), compileInput());
    const drifted = { ...plan, strategy: 'rainbow', steps: [{ kind: 'mirror', deployment: 'x', percent: 60 }] };
    expect(() => parseContract(planSchema, drifted, 'planRollout output')).toThrow(
      /planRollout output: contract violated: strategy: .*steps\.0\.percent: /,
    );
  });
});
