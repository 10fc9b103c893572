import { afterEach, describe, expect, it, vi } from 'vitest';
import { retryJitterSource } from '../../src/app/ports';
import { createRandom as emulatorRandom } from '../../src/emulator/prng';
import { createRandom } from '../../src/common/prng';

const draws = (random: () => number, n: number): number[] => Array.from({ length: n }, () => random());

afterEach(() => {
  vi.restoreAllMocks();
});

describe('retry jitter source', () => {
  it('without RANDOM_SEED uses Math.random (real jitter in Azure)', () => {
    const spy = vi.spyOn(Math, 'random').mockReturnValue(0.125);
    const random = retryJitterSource({});
    expect(random()).toBe(0.125);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('with RANDOM_SEED replays the same spread-out sequence for the same seed', () => {
    const spy = vi.spyOn(Math, 'random');
    const a = draws(retryJitterSource({ RANDOM_SEED: 7 }), 50);
    const b = draws(retryJitterSource({ RANDOM_SEED: 7 }), 50);
    expect(a).toEqual(b);
    expect(spy).not.toHaveBeenCalled();
    // Real jitter, not a constant: values spread over [0, 1).
    for (const value of a) expect(value >= 0 && value < 1).toBe(true);
    expect(new Set(a).size).toBe(50);
    expect(Math.min(...a)).toBeLessThan(0.25);
    expect(Math.max(...a)).toBeGreaterThan(0.75);
  });

  it('gives different sequences for different seeds', () => {
    expect(draws(retryJitterSource({ RANDOM_SEED: 1 }), 10)).not.toEqual(draws(retryJitterSource({ RANDOM_SEED: 2 }), 10));
  });
});

describe('shared PRNG', () => {
  it('is what the emulator re-exports (one generator, same streams)', () => {
    expect(emulatorRandom).toBe(createRandom);
    expect(draws(createRandom(3, 'traffic').next, 5)).toEqual(draws(emulatorRandom(3, 'traffic').next, 5));
  });
});
