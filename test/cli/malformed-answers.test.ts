/**
 * The CLI reads every answer with the API's own schema (src/api/schemas.ts): a server that answers
 * something else (another version, a proxy) is a clear error naming the field, exit code 1, never
 * a crash or a silent `undefined`. The fake server answers the real handlers' bodies, changed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/index';
import { EXIT } from '../../src/cli/api-client';
import { apiRequest } from '../../src/api/http';
import { getRollout, getRolloutEvidence, listRollouts } from '../../src/api/rollouts';
import { makeDeps, statusOf } from '../api/fakes';

type Body = Record<string, unknown>;

/** What the real API answers for rollout r1 (running, published status). */
async function realBodies(): Promise<{ detail: Body; list: Body; evidence: Body }> {
  const deps = makeDeps();
  deps.client.put('r1', 'Running', statusOf({ rolloutId: 'r1' }));
  const request = (url: string) =>
    apiRequest({ method: 'GET', url, params: { id: 'r1' }, headers: { 'x-functions-key': 'test-key' }, body: '' });
  const body = async (answer: Promise<{ jsonBody?: unknown }>) => (await answer).jsonBody as Body;
  return {
    detail: await body(getRollout(request('http://ctl.example/api/rollouts/r1'), deps)),
    list: await body(listRollouts(request('http://ctl.example/api/rollouts'), deps)),
    evidence: await body(getRolloutEvidence(request('http://ctl.example/api/rollouts/r1/evidence'), deps)),
  };
}

/** The next answer per method and path (without the query). */
const answers = new Map<string, string>();
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    const body = answers.get(key);
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(body ?? JSON.stringify({ error: { code: 'NotFound', message: `no answer for ${key}` } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run([...args, '--url', url, '--key', 'k'], {
    out: (s) => void out.push(s),
    err: (s) => void err.push(s),
    env: () => undefined,
    isTTY: false,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const without = (body: Body, key: string): Body => Object.fromEntries(Object.entries(body).filter(([k]) => k !== key));

describe('answers the CLI does not understand', () => {
  let real: Awaited<ReturnType<typeof realBodies>>;
  beforeAll(async () => {
    real = await realBodies();
  });

  const ACTION = {
    rolloutId: 'r1',
    action: 'abort',
    by: 'ops@contoso.com',
    identity: { name: 'ops@contoso.com', verified: false, source: 'apiKey' },
    step: 2,
    accepted: true,
  };
  const START = { rolloutId: 'r1', created: true, policy: 'p', endpoint: 'e', statusUrl: 'http://x/api/rollouts/r1' };

  const cases: {
    name: string;
    args: string[];
    answer: (r: Awaited<ReturnType<typeof realBodies>>) => Record<string, unknown>;
    field: string | undefined;
  }[] = [
    { name: 'status: the real detail', args: ['status', 'r1'], answer: (r) => ({ 'GET /api/rollouts/r1': r.detail }), field: undefined },
    {
      name: 'status: an unknown phase in the status',
      args: ['status', 'r1'],
      answer: (r) => ({ 'GET /api/rollouts/r1': { ...r.detail, status: { ...(r.detail.status as Body), phase: 'Bogus' } } }),
      field: 'status.phase',
    },
    {
      name: 'status: no runtimeStatus',
      args: ['status', 'r1'],
      answer: (r) => ({ 'GET /api/rollouts/r1': without(r.detail, 'runtimeStatus') }),
      field: 'runtimeStatus',
    },
    {
      name: 'status: traffic as text',
      args: ['status', 'r1', '--json'],
      answer: (r) => ({ 'GET /api/rollouts/r1': { ...r.detail, status: { ...(r.detail.status as Body), traffic: 'blue 100%' } } }),
      field: 'status.traffic',
    },
    {
      name: 'status --evidence: the real detail and evidence',
      args: ['status', 'r1', '--evidence'],
      answer: (r) => ({ 'GET /api/rollouts/r1': r.detail, 'GET /api/rollouts/r1/evidence': r.evidence }),
      field: undefined,
    },
    {
      name: 'status --evidence: gates not a list',
      args: ['status', 'r1', '--evidence'],
      answer: (r) => ({ 'GET /api/rollouts/r1': r.detail, 'GET /api/rollouts/r1/evidence': { ...r.evidence, gates: 'none' } }),
      field: 'gates',
    },
    {
      name: 'watch: a detail without history',
      args: ['watch', 'r1'],
      answer: (r) => ({ 'GET /api/rollouts/r1': without(r.detail, 'history') }),
      field: 'history',
    },
    { name: 'list: the real page', args: ['list'], answer: (r) => ({ 'GET /api/rollouts': r.list }), field: undefined },
    {
      name: 'list: a row without its phase',
      args: ['list'],
      answer: (r) => ({ 'GET /api/rollouts': { items: [without((r.list.items as Body[])[0]!, 'phase')] } }),
      field: 'items[0].phase',
    },
    { name: 'list: no items', args: ['list'], answer: () => ({ 'GET /api/rollouts': {} }), field: 'items' },
    { name: 'abort: the real answer', args: ['abort', 'r1'], answer: () => ({ 'POST /api/rollouts/r1/abort': ACTION }), field: undefined },
    {
      name: 'abort: no identity',
      args: ['abort', 'r1'],
      answer: () => ({ 'POST /api/rollouts/r1/abort': without(ACTION, 'identity') }),
      field: 'identity',
    },
    {
      name: 'start: no rollout id',
      args: ['start', '--model', 'm', '--version', '1'],
      answer: () => ({ 'POST /api/rollouts': without(START, 'rolloutId') }),
      field: 'rolloutId',
    },
  ];

  it.each(cases)('$name', async ({ args, answer, field }) => {
    answers.clear();
    for (const [key, body] of Object.entries(answer(real))) answers.set(key, JSON.stringify(body));
    const result = await cli(args);
    if (field === undefined) {
      expect(result.err).toBe('');
      expect(result.code).toBe(EXIT.ok);
      return;
    }
    expect(result.code).toBe(EXIT.other);
    expect(result.out).toBe('');
    expect(result.err).toContain('the answer is not what this CLI understands');
    expect(result.err).toContain(` ${field}: `);
  });

  it('a body that is not JSON at all says so', async () => {
    answers.clear();
    answers.set('GET /api/rollouts', '<html>gateway</html>');
    const result = await cli(['list']);
    expect(result.code).toBe(EXIT.other);
    expect(result.err).toContain('GET /api/rollouts?top=50: the answer is not JSON: <html>gateway</html>');
  });

  it('an empty body names the body', async () => {
    answers.clear();
    answers.set('GET /api/rollouts/r1', '');
    const result = await cli(['status', 'r1']);
    expect(result.code).toBe(EXIT.other);
    expect(result.err).toMatch(/GET \/api\/rollouts\/r1: the answer is not what this CLI understands: the body: /);
  });
});
