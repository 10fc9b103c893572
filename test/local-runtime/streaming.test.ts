/** HTTP streaming: an app that enables it is served through the library's own HTTP proxy. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type LocalRuntime } from '../../src/harness/local-runtime/runtime';
import { ensureBuilt, fixtureEntry, request } from './helpers';

let rt: LocalRuntime;

beforeAll(async () => {
  await ensureBuilt();
  rt = await startRuntime({ app: path.join(path.dirname(fixtureEntry), 'streaming.js'), port: 0, store: ':memory:', log: () => {} });
});

afterAll(async () => {
  await rt?.stop();
});

describe('HTTP streaming', () => {
  it('streams request bodies in and response bodies out', async () => {
    const upload = await request(`${rt.url}/api/upload/file?q=1`, {
      method: 'POST',
      body: 'x'.repeat(100_000),
      headers: { 'x-custom': 'c' },
    });
    expect(upload.status).toBe(200);
    expect(upload.body).toEqual({ name: 'file', bytes: 100_000, query: '1', header: 'c' });

    const response = await fetch(`${rt.url}/api/chunks`);
    expect(response.headers.get('x-streamed')).toBe('yes');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const chunks: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(decoder.decode(value));
    }
    expect(chunks.join('')).toBe('part0;part1;part2;part3;');
    expect(chunks.length).toBeGreaterThan(1);
  });
});
