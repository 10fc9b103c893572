import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chooseCandidateName, isValidDeploymentName, renderDeploymentName, sanitizeDeploymentName } from '../../src/plan/deployment-name';

describe('deployment names', () => {
  it.each([
    ['credit-model-v2', 'credit-model-v2'],
    ['Credit_Model v2', 'credit-model-v2'],
    ['--a--b--', 'a-b'],
    ['42-model', 'model'],
    ['x', 'x-dep'],
    ['', 'candidate'],
  ])('sanitize(%j) = %s', (raw, expected) => {
    expect(sanitizeDeploymentName(raw)).toBe(expected);
    expect(isValidDeploymentName(sanitizeDeploymentName(raw))).toBe(true);
  });

  it('keeps long names distinct by a fingerprint', () => {
    const a = sanitizeDeploymentName('a-very-long-model-name-for-credit-scoring-v12');
    const b = sanitizeDeploymentName('a-very-long-model-name-for-credit-scoring-v13');
    expect(a.length).toBeLessThanOrEqual(32);
    expect(isValidDeploymentName(a)).toBe(true);
    expect(a).toMatch(/-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(a.startsWith('a-very-long-model-name-')).toBe(true);
  });

  it('always produces a valid name (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (raw) => isValidDeploymentName(sanitizeDeploymentName(raw))));
  });

  it.each([
    ['ab', false],
    ['abc', true],
    ['a'.repeat(32), true],
    ['a'.repeat(33), false],
    ['1abc', false],
    ['ab--c', false],
    ['abc-', false],
  ])('isValidDeploymentName(%s) = %s', (name, valid) => {
    expect(isValidDeploymentName(name)).toBe(valid);
  });

  it('renders placeholders', () => {
    expect(renderDeploymentName('{model}-{strategy}-v{version}', { model: 'credit', version: '3', strategy: 'canary' })).toBe(
      'credit-canary-v3',
    );
  });

  it('chooses a free name deterministically', () => {
    const base = { baseline: 'blue', candidateModelId: 'm2' };
    expect(chooseCandidateName({ ...base, preferred: 'green', existing: [{ name: 'blue' }] })).toBe('green');
    expect(chooseCandidateName({ ...base, preferred: 'blue', existing: [{ name: 'blue' }] })).toBe('green');
    expect(
      chooseCandidateName({
        ...base,
        baseline: 'green',
        preferred: 'green',
        existing: [{ name: 'green' }, { name: 'blue', modelId: 'm0' }],
      }),
    ).toBe('green-2');
    expect(
      chooseCandidateName({
        ...base,
        preferred: 'm-v2',
        existing: [{ name: 'blue' }, { name: 'M-V2', modelId: 'm2', liveTrafficPercent: 0 }],
      }),
    ).toBe('m-v2');
    expect(
      chooseCandidateName({
        ...base,
        preferred: 'm-v2',
        existing: [{ name: 'blue' }, { name: 'm-v2', modelId: 'm2', mirrorTrafficPercent: 10 }],
      }),
    ).toBe('m-v2-2');
  });

  it('never returns a taken name and always a valid one (property)', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/).filter(isValidDeploymentName);
    fc.assert(
      fc.property(name, fc.uniqueArray(name, { maxLength: 19, selector: (n) => n }), (preferred, others) => {
        const existing = [{ name: 'blue' }, ...others.map((n) => ({ name: n }))];
        const chosen = chooseCandidateName({ preferred, baseline: 'blue', candidateModelId: 'x', existing });
        return isValidDeploymentName(chosen) && !existing.some((e) => e.name === chosen);
      }),
    );
  });
});
