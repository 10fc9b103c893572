import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type LocalRuntime } from '../../src/harness/local-runtime/runtime';
import { ensureBuilt, fixtureEntry } from './helpers';

describe('GET /', () => {
  let runtime: LocalRuntime | undefined;
  beforeAll(ensureBuilt, 120_000);
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  it('redirects to the configured page (npm start sends people to the dashboard)', async () => {
    runtime = await startRuntime({
      app: fixtureEntry,
      port: 0,
      clock: 'virtual',
      store: ':memory:',
      log: () => undefined,
      rootRedirect: '/api/dashboard/',
    });
    const response = await fetch(`${runtime.url}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/api/dashboard/');
    const post = await fetch(`${runtime.url}/`, { method: 'POST', redirect: 'manual' });
    expect(post.status).not.toBe(302);
  });

  it('serves nothing at / without one', async () => {
    runtime = await startRuntime({ app: fixtureEntry, port: 0, clock: 'virtual', store: ':memory:', log: () => undefined });
    const response = await fetch(`${runtime.url}/`, { redirect: 'manual' });
    expect(response.status).toBe(404);
  });
});
