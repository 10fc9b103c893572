import { describe, expect, it } from 'vitest';
import { LOCAL_ONLY_SETTINGS, loadSettings } from '../../src/config';

describe('RANDOM_SEED', () => {
  it('is absent unless set, and parses integers (negative too)', () => {
    expect(loadSettings({}).RANDOM_SEED).toBeUndefined();
    expect(loadSettings({ RANDOM_SEED: '' }).RANDOM_SEED).toBeUndefined();
    expect(loadSettings({ RANDOM_SEED: '42' }).RANDOM_SEED).toBe(42);
    expect(loadSettings({ RANDOM_SEED: '-7' }).RANDOM_SEED).toBe(-7);
  });

  it.each(['abc', '1.5', '9007199254740993'])('refuses %s, naming the setting', (value) => {
    expect(() => loadSettings({ RANDOM_SEED: value })).toThrow(/RANDOM_SEED: must be an integer/);
  });

  it('is local only (infra/main.bicep never sets it: Azure gets real jitter)', () => {
    expect(LOCAL_ONLY_SETTINGS).toContain('RANDOM_SEED');
  });
});
