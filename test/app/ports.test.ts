import { afterEach, describe, expect, it, vi } from 'vitest';
import { getActivities, getIngestionModelRegistry, retryJitterSource } from '../../src/app/ports';
import { AzureCallError } from '../../src/errors';
import { createAzurePorts } from '../../src/azure';
import { readEnvironment, setEnvironment } from '../../src/config';
import { FakeAzure, fakeAzurePorts, RESOURCE_GROUP, SUBSCRIPTION, TestClock, WORKSPACE } from '../azure/support/fake-azure';
import { createRandom as emulatorRandom } from '../../src/harness/emulator/prng';
import { createRandom } from '../../src/common/prng';

// createAzurePorts as it is, counted: the app must build one set of clients, not one per use.
vi.mock('../../src/azure', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/azure')>();
  return { ...original, createAzurePorts: vi.fn(original.createAzurePorts) };
});

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

describe('one set of Azure ports', () => {
  const version = {
    subscriptionId: SUBSCRIPTION,
    resourceGroup: RESOURCE_GROUP,
    workspace: WORKSPACE,
    model: 'credit-model',
    version: '2',
  };
  const modelPath = '/models/credit-model/versions/2';

  async function withFakeAzure(run: (azure: FakeAzure, clock: TestClock) => Promise<void>): Promise<void> {
    const clock = new TestClock();
    const azure = await new FakeAzure(clock).start();
    try {
      await run(azure, clock);
    } finally {
      await azure.close();
    }
  }

  it("the ingestion registry tries once and never waits; the activities' registry backs off and retries", async () => {
    await withFakeAzure(async (azure, clock) => {
      const ports = fakeAzurePorts(azure, clock, { maxAttempts: 4 });
      azure.faults.push({ method: 'GET', pathIncludes: modelPath, status: 503, count: 2 });

      const error: unknown = await ports.ingestionModelRegistry.getModelVersion(version).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AzureCallError);
      expect(error).toMatchObject({ retryable: true });
      expect(azure.armRequests('GET', modelPath)).toHaveLength(1);
      expect(clock.sleeps).toEqual([]);

      // One fault left: the activities' registry waits on the clock and gets through.
      const model = await ports.modelRegistry.getModelVersion(version);
      expect(model.version).toBe('2');
      expect(azure.armRequests('GET', modelPath)).toHaveLength(3);
      expect(clock.sleeps).toHaveLength(1);
    });
  });

  it('the ingestion registry answers a registered version like the other one', async () => {
    await withFakeAzure(async (azure, clock) => {
      const ports = fakeAzurePorts(azure, clock);
      expect(await ports.ingestionModelRegistry.getModelVersion(version)).toEqual(await ports.modelRegistry.getModelVersion(version));
      await expect(ports.ingestionModelRegistry.getModelVersion({ ...version, version: '9' })).rejects.toMatchObject({ code: 'NotFound' });
      expect(clock.sleeps).toEqual([]);
    });
  });

  it('the app builds one set of Azure ports for the activities and ingestion, and ingestion tries once', async () => {
    await withFakeAzure(async (azure) => {
      const settings = { ARM_ENDPOINT: azure.url, LOGS_ENDPOINT: azure.url, METRICS_ENDPOINT: azure.url, EMULATOR_TOKEN: 'test-token' };
      const before = Object.fromEntries(Object.keys(settings).map((name) => [name, readEnvironment(name)]));
      setEnvironment(settings);
      try {
        const registry = getIngestionModelRegistry();
        getActivities();
        expect(getIngestionModelRegistry()).toBe(registry);
        expect(vi.mocked(createAzurePorts)).toHaveBeenCalledTimes(1);

        azure.faults.push({ method: 'GET', pathIncludes: modelPath, status: 503, count: 1 });
        await expect(registry.getModelVersion(version)).rejects.toBeInstanceOf(AzureCallError);
        expect(azure.armRequests('GET', modelPath)).toHaveLength(1);
      } finally {
        setEnvironment(before);
      }
    });
  });
});
