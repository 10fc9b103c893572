/**
 * Orchestrations of the fixture app on the runtime, driven through public surfaces only: HTTP
 * triggers, an unmodified DurableClient inside the fixture's `client/*` functions, and the
 * management API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type LocalRuntime } from '../../src/harness/local-runtime/runtime';
import { ensureBuilt, fixtureEntry, request, waitForStatus, type StatusBody } from './helpers';

let rt: LocalRuntime;
let mgmt: string;

beforeAll(async () => {
  await ensureBuilt();
  rt = await startRuntime({ app: fixtureEntry, port: 0, store: ':memory:', log: () => {} });
  mgmt = `${rt.url}/runtime/webhooks/durabletask`;
});

afterAll(async () => {
  await rt?.stop();
});

async function start(name: string, input?: unknown, instanceId?: string): Promise<string> {
  const response = await request(`${rt.url}/api/start/${name}${instanceId ? `/${instanceId}` : ''}`, { method: 'POST', json: input });
  expect(response.status).toBe(202);
  const body = response.body as { id: string; statusQueryGetUri: string };
  expect(body.statusQueryGetUri).toContain(`${rt.url}/runtime/webhooks/durabletask/instances/${body.id}`);
  return body.id;
}

async function client(operation: string, command: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  return request(`${rt.url}/api/client/${operation}`, { method: 'POST', json: command });
}

async function finished(id: string): Promise<StatusBody> {
  return waitForStatus(rt.url, id);
}

describe('orchestrations through an unmodified DurableClient', () => {
  it('runs an activity chain and reports status through the client', async () => {
    const id = await start('chain', 3);
    const done = await finished(id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toBe(96);
    const viaClient = await client('status', { instanceId: id });
    expect(viaClient.status).toBe(200);
    const status = viaClient.body as { runtimeStatus: string; output: number; input: number; history: unknown[] };
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: 96, input: 3 });
  });

  it('fans out with Task.all', async () => {
    const done = await finished(await start('fanOut', 4));
    expect(done.output).toBe(0 + 2 + 4 + 6);
  });

  it('waits for a timer then runs an activity', async () => {
    const done = await finished(await start('timerThenActivity', { delayMs: 200 }));
    expect(done.output).toMatchObject({ greeting: 'hello timer' });
    expect((done.output as { elapsedMs: number }).elapsedMs).toBeGreaterThanOrEqual(200);
  });

  it('races an external event against a timer, cancels the losing timer, publishes custom status', async () => {
    const id = await start('approval', { timeoutMs: 60 * 60 * 1000 });
    await waitForStatus(rt.url, id, (s) => s.runtimeStatus === 'Running' && s.customStatus !== null);
    const raised = await client('raise', { instanceId: id, eventName: 'approve', eventData: 'alice' });
    expect(raised.status).toBe(202);
    const done = await finished(id);
    expect(done.output).toEqual({ outcome: 'approved', by: 'alice' });
    expect(done.customStatus).toEqual({ waitingFor: 'approve' });
  });

  // The extension's test: refused when floor(UTF-16 bytes / 1024) > 16, and the orchestration
  // fails with its message while the previous status stays (docs/azure-fidelity.md).
  it.each([
    { name: 'exactly 16 KB fits', jsonChars: 8192, refusedKb: undefined },
    { name: 'one UTF-16 unit short of 17 KB fits (floor is 16)', jsonChars: 8703, refusedKb: undefined },
    { name: 'exactly 17 KB is refused', jsonChars: 8704, refusedKb: 17 },
    { name: '20 KB is refused', jsonChars: 10240, refusedKb: 20 },
  ])('enforces the custom status size limit: $name', async ({ jsonChars, refusedKb }) => {
    const id = await start('sizedStatus', { jsonChars: 100 });
    await waitForStatus(rt.url, id, (s) => s.runtimeStatus === 'Running' && s.customStatus !== null);
    expect((await client('raise', { instanceId: id, eventName: 'grow', eventData: jsonChars })).status).toBe(202);
    const done = await finished(id);
    if (refusedKb === undefined) {
      expect(done).toMatchObject({ runtimeStatus: 'Completed', output: jsonChars });
      expect((done.customStatus as string).length).toBe(jsonChars - 2);
    } else {
      expect(done.runtimeStatus).toBe('Failed');
      expect(done.output).toBe(
        `The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is ${refusedKb} KB.`,
      );
      expect(done.customStatus).toBe('x'.repeat(98));
    }
  });

  it('buffers events that arrive before the orchestrator waits for them', async () => {
    const id = await start('twoEvents');
    // "b" first: the orchestrator waits for "a" first, so "b" must be kept until asked for.
    expect((await request(`${mgmt}/instances/${id}/raiseEvent/b`, { method: 'POST', json: 'B' })).status).toBe(202);
    expect((await request(`${mgmt}/instances/${id}/raiseEvent/a`, { method: 'POST', json: 'A' })).status).toBe(202);
    expect((await finished(id)).output).toEqual(['A', 'B']);
  });

  it('retries a failing activity with the declared retry options', async () => {
    const ok = await finished(await start('retrying', { key: 'retry-ok', failures: 1, attempts: 3 }));
    expect(ok.output).toEqual({ ok: true, attempt: 2 });
    const exhausted = await finished(await start('retrying', { key: 'retry-exhausted', failures: 5, attempts: 2 }));
    expect(exhausted.output).toMatchObject({ ok: false });
    expect((exhausted.output as { error: string }).error).toContain('flaky failure 2');
    // Each attempt failed once (the view shows a finished task by its completion, named), and the retry timers are in history.
    const attempts = exhausted.historyEvents?.filter((e) => e.EventType === 'TaskFailed') ?? [];
    expect(attempts.map((e) => e.FunctionName)).toEqual(['flaky', 'flaky']);
    expect(exhausted.historyEvents?.filter((e) => e.EventType === 'TaskScheduled')).toEqual([]);
    expect(exhausted.historyEvents?.filter((e) => e.EventType === 'TimerCreated')).toHaveLength(2);
  });

  it('lets the orchestrator catch an activity failure', async () => {
    const done = await finished(await start('catchesFailure'));
    expect((done.output as { caught: string }).caught).toContain('activity broke');
  });

  it('fails an instance whose orchestrator throws, with the error as output', async () => {
    const done = await finished(await start('failing'));
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toContain('orchestrator exploded');
    // A failed instance is a 200 like any finished one; 500 only when the caller asks for it.
    expect((await request(`${mgmt}/instances/${done.instanceId}`)).status).toBe(200);
    expect((await request(`${mgmt}/instances/${done.instanceId}?returnInternalServerErrorOnFailure=true`)).status).toBe(500);
  });

  it('runs sub-orchestrations, with retry and with a failing child', async () => {
    const id = await start('parent', undefined, `parent-${Date.now()}`);
    const done = await finished(id);
    expect(done.output).toMatchObject({ child: 32, retried: 64 });
    expect((done.output as { childFailure: string }).childFailure).toContain('orchestrator exploded');
    const child = await request(`${mgmt}/instances/${id}-child`);
    expect((child.body as StatusBody).output).toBe(32);
  });

  it('continues as new and keeps events that arrive during the transition', async () => {
    const id = await start('counterLoop');
    // All three ticks at once: the ones not consumed by a generation must carry over.
    for (const tick of [1, 2, 3])
      expect((await request(`${mgmt}/instances/${id}/raiseEvent/tick`, { method: 'POST', json: tick })).status).toBe(202);
    const done = await finished(id);
    expect(done.output).toEqual({ count: 3, events: [1, 2, 3] });
    expect(done.customStatus).toEqual({ count: 3 });
  });

  it('terminates, suspends and resumes through the client', async () => {
    const suspended = await start('twoEvents');
    await waitForStatus(rt.url, suspended, (s) => s.runtimeStatus === 'Running');
    expect((await client('suspend', { instanceId: suspended })).status).toBe(202);
    await waitForStatus(rt.url, suspended, (s) => s.runtimeStatus === 'Suspended');
    // Events wait while suspended.
    await client('raise', { instanceId: suspended, eventName: 'a', eventData: 1 });
    await client('raise', { instanceId: suspended, eventName: 'b', eventData: 2 });
    expect((await request(`${mgmt}/instances/${suspended}`)).body).toMatchObject({ runtimeStatus: 'Suspended' });
    expect((await client('resume', { instanceId: suspended })).status).toBe(202);
    expect((await finished(suspended)).output).toEqual([1, 2]);

    const terminated = await start('twoEvents');
    await waitForStatus(rt.url, terminated, (s) => s.runtimeStatus === 'Running');
    expect((await client('terminate', { instanceId: terminated, reason: 'enough' })).status).toBe(202);
    const done = await finished(terminated);
    expect(done).toMatchObject({ runtimeStatus: 'Terminated', output: 'enough' });
    // A finished instance refuses events with 410.
    expect((await request(`${mgmt}/instances/${terminated}/raiseEvent/a`, { method: 'POST', json: 1 })).status).toBe(410);
    // ...which the DurableClient's raiseEvent treats as success, as it does against Azure.
    expect((await client('raise', { instanceId: terminated, eventName: 'a', eventData: 1 })).status).toBe(202);
  });

  it('lists with filters and purges through the client', async () => {
    const id = await start('chain', 1);
    await finished(id);
    const completed = (await client('list', { runtimeStatus: ['Completed'] })).body as StatusBody[];
    expect(completed.some((s) => s.instanceId === id)).toBe(true);
    expect(completed.every((s) => s.runtimeStatus === 'Completed')).toBe(true);
    const future = (await client('list', { createdTimeFrom: new Date(Date.now() + 3_600_000).toISOString() })).body as StatusBody[];
    expect(future).toEqual([]);
    const all = (await client('all', {})).body as StatusBody[];
    expect(all.length).toBeGreaterThanOrEqual(completed.length);
    expect((await client('purge', { instanceId: id })).body).toEqual({ instancesDeleted: 1 });
    expect((await request(`${mgmt}/instances/${id}`)).status).toBe(404);
    expect((await client('purge', { instanceId: id })).body).toEqual({ instancesDeleted: 0 });
  });

  it('pages instance lists with continuation tokens', async () => {
    const ids = await Promise.all([1, 2, 3].map((n) => start('chain', n, `page-${n}-${Date.now()}`)));
    await Promise.all(ids.map((id) => finished(id)));
    const first = await request(`${mgmt}/instances/?top=2&instanceIdPrefix=page-`);
    expect((first.body as unknown[]).length).toBe(2);
    const token = first.headers.get('x-ms-continuation-token');
    expect(token).toBeTruthy();
    const second = await request(`${mgmt}/instances/?top=2&instanceIdPrefix=page-`, {
      headers: { 'x-ms-continuation-token': token as string },
    });
    expect((second.body as unknown[]).length).toBe(1);
    expect(second.headers.get('x-ms-continuation-token')).toBeNull();
  });

  it('refuses to start an instance id that is running (409) and replaces a finished one', async () => {
    const id = `dup-${Date.now()}`;
    await start('twoEvents', undefined, id);
    const conflict = await request(`${mgmt}/orchestrators/twoEvents/${id}`, { method: 'POST' });
    expect(conflict.status).toBe(409);
    await request(`${mgmt}/instances/${id}/terminate?reason=x`, { method: 'POST' });
    await finished(id);
    const again = await request(`${mgmt}/orchestrators/chain/${id}`, { method: 'POST', json: 1 });
    expect(again.status).toBe(202);
    expect((await finished(id)).output).toBe(32);
  });
});

describe('activities with a durable client input', () => {
  // The Durable extension binds a durableClient input for activities too; without the binding data
  // df.getClient(context) throws "Received input is not a valid durable client input".
  it.each([
    ['df.app.activity with extraInputs', 'raiseOnInstance', 'raised approve on'],
    ['app.generic with an activity trigger', 'raiseOnInstanceGeneric', '(was Running)'],
  ])('%s: the activity raises an event on another instance', async (_label, activity, expectedResult) => {
    const target = await start('approval', { timeoutMs: 60 * 60 * 1000 });
    await waitForStatus(rt.url, target, (s) => s.runtimeStatus === 'Running' && s.customStatus !== null);
    const raiser = await finished(
      await start('raiser', { activity, request: { instanceId: target, eventName: 'approve', data: `via ${activity}` } }),
    );
    expect(raiser.runtimeStatus).toBe('Completed');
    expect(raiser.output).toEqual(expect.stringContaining(expectedResult));
    expect((await finished(target)).output).toEqual({ outcome: 'approved', by: `via ${activity}` });
  });

  it('a client call that the management API refuses fails the activity with its error', async () => {
    const done = await finished(
      await start('raiser', { activity: 'raiseOnInstance', request: { instanceId: 'no-such-instance', eventName: 'approve', data: 1 } }),
    );
    expect(done.runtimeStatus).toBe('Failed');
    // The client reached the management API (404 for an unknown instance) and its error reached the orchestrator.
    expect(String(done.output)).toMatch(/raiseOnInstance.*No instance with ID 'no-such-instance' found/);
  });
});

describe('entities', () => {
  it('signals, calls, locks, and surfaces operation failures', async () => {
    const key = `k-${Date.now()}`;
    const done = await finished(await start('entityUser', key));
    expect(done.output).toEqual({ afterSignal: 5, inLock: 16, final: 100, failure: true });
    const state = await client('readEntity', { entity: { name: 'counter', key } });
    expect(state.body).toEqual({ entityExists: true, entityState: 16 });
  });

  it('signals and reads entities through the client and the management API', async () => {
    const key = `c-${Date.now()}`;
    expect((await client('signal', { entity: { name: 'counter', key }, operation: 'add', input: 7 })).status).toBe(202);
    expect((await request(`${mgmt}/entities/counter/${key}?op=add`, { method: 'POST', json: 3 })).status).toBe(202);
    let read: unknown;
    for (let i = 0; i < 200; i++) {
      const response = await request(`${mgmt}/entities/counter/${key}`);
      read = response.body;
      if (read === 10) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(read).toBe(10);
    expect((await client('readEntity', { entity: { name: 'counter', key: 'never-used' } })).body).toMatchObject({ entityExists: false });
  });
});

describe('nondeterminism', () => {
  it('fails the instance with a message naming both schedules when a replay diverges', async () => {
    await request(`${rt.url}/api/variant/double`, { method: 'POST' });
    const id = await start('nondeterministic');
    await waitForStatus(rt.url, id, (s) => (s.historyEvents ?? []).some((e) => e.EventType === 'TaskCompleted'));
    await request(`${rt.url}/api/variant/greet`, { method: 'POST' });
    await request(`${mgmt}/instances/${id}/raiseEvent/continue`, { method: 'POST', json: 1 });
    const done = await finished(id);
    await request(`${rt.url}/api/variant/double`, { method: 'POST' });
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toMatch(/Non-deterministic/);
    expect(done.output).toContain('activity "greet"');
    expect(done.output).toContain('activity "double"');
    expect(rt.counters.nondeterminismFailures).toBeGreaterThanOrEqual(1);
  });

  it('also catches a replay that no longer schedules a recorded task', async () => {
    await request(`${rt.url}/api/variant/double`, { method: 'POST' });
    const id = await start('nondeterministic');
    await waitForStatus(rt.url, id, (s) => (s.historyEvents ?? []).some((e) => e.EventType === 'TaskCompleted'));
    await request(`${rt.url}/api/variant/none`, { method: 'POST' });
    await request(`${rt.url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/continue`, { method: 'POST', json: 1 });
    const done = await finished(id);
    await request(`${rt.url}/api/variant/double`, { method: 'POST' });
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toMatch(/history recorded activity "double" at sequence id 0, but the orchestrator 'nondeterministic'/);
  });
});

describe("management API: the Durable extension's answers (HttpApiHandler.cs)", () => {
  const managed = (id: string, query = ''): string => `${mgmt}/instances/${encodeURIComponent(id)}${query}`;

  it('answers a status request 202 with Location and Retry-After while running, 200 once finished (500 for Failed only on request)', async () => {
    const running = await start('twoEvents');
    const suspended = await start('twoEvents');
    const terminated = await start('twoEvents');
    expect((await request(`${managed(suspended)}/suspend`, { method: 'POST' })).status).toBe(202);
    expect((await request(`${managed(terminated)}/terminate?reason=test`, { method: 'POST' })).status).toBe(202);
    await waitForStatus(rt.url, suspended, (s) => s.runtimeStatus === 'Suspended');
    await waitForStatus(rt.url, terminated, (s) => s.runtimeStatus === 'Terminated');
    const completed = (await finished(await start('chain', 1))).instanceId;
    const failed = (await finished(await start('failing'))).instanceId;
    const table: [id: string, query: string, status: number][] = [
      [running, '', 202],
      [suspended, '', 202],
      [completed, '', 200],
      [completed, '?returnInternalServerErrorOnFailure=true', 200],
      [terminated, '', 200],
      [terminated, '?returnInternalServerErrorOnFailure=true', 200],
      [failed, '', 200],
      [failed, '?returnInternalServerErrorOnFailure=false', 200],
      [failed, '?returnInternalServerErrorOnFailure=True', 500],
      [failed, '?returnInternalServerErrorOnFailure=1', 200], // not a .NET boolean: the default
    ];
    for (const [id, query, status] of table) {
      const response = await request(managed(id, query));
      expect(response.status, `${id}${query}`).toBe(status);
      if (status === 202) {
        expect(response.headers.get('location')).toBe(managed(id, query));
        expect(response.headers.get('retry-after')).toBe('5');
      } else {
        expect(response.headers.get('location')).toBeNull();
      }
      expect((response.body as StatusBody).createdTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });

  it('reads showHistory, showHistoryOutput and showInput as .NET booleans (an empty value is false)', async () => {
    const id = (await finished(await start('chain', 1))).instanceId;
    const table: [query: string, history: boolean, output: boolean, input: boolean][] = [
      ['', false, false, true],
      ['?showHistory=', false, false, true],
      ['?showHistory=1', false, false, true],
      ['?showHistory=yes', false, false, true],
      ['?showHistory=true', true, false, true],
      ['?showHistory=%20TRUE%20', true, false, true],
      ['?showHistory=True&showHistoryOutput=true', true, true, true],
      ['?showHistory=true&showHistoryOutput=', true, false, true],
      ['?showHistory=true&showInput=false', true, false, false],
      ['?showHistory=true&showInput=', true, false, true],
    ];
    for (const [query, history, output, input] of table) {
      const body = (await request(managed(id, query))).body as StatusBody;
      expect(body.historyEvents !== undefined, `history for ${query}`).toBe(history);
      expect(body.input, `input for ${query}`).toEqual(input ? 1 : null);
      if (!history) continue;
      const completions = (body.historyEvents ?? []).filter((e) => e.EventType === 'TaskCompleted');
      expect(completions.length).toBeGreaterThan(0);
      for (const completion of completions) {
        expect(completion).toMatchObject({ FunctionName: expect.any(String), ScheduledTime: expect.any(String) });
        expect('Result' in completion, `Result for ${query}`).toBe(output);
        expect(completion).not.toHaveProperty('EventId');
        expect(completion).not.toHaveProperty('IsPlayed');
        expect(completion).not.toHaveProperty('TaskScheduledId');
      }
      expect((body.historyEvents ?? []).map((e) => e.EventType)).not.toContain('TaskScheduled');
    }
  });

  it('ignores runtimeStatus values it cannot parse (names are case-sensitive; numbers are accepted)', async () => {
    const prefix = `filter-${Date.now()}-`;
    await finished(await start('chain', 1, `${prefix}done`));
    await start('twoEvents', undefined, `${prefix}waiting`);
    await waitForStatus(rt.url, `${prefix}waiting`, (s) => s.runtimeStatus === 'Running');
    const list = async (filter: string): Promise<string[]> => {
      const response = await request(`${mgmt}/instances/?instanceIdPrefix=${prefix}${filter}`);
      expect(response.status, filter).toBe(200);
      return (response.body as StatusBody[]).map((s) => s.instanceId.slice(prefix.length)).sort();
    };
    const table: [filter: string, ids: string[]][] = [
      ['', ['done', 'waiting']],
      ['&runtimeStatus=Completed', ['done']],
      ['&runtimeStatus=Completed,Sleeping', ['done']],
      ['&runtimeStatus=Sleeping', ['done', 'waiting']],
      ['&runtimeStatus=completed', ['done', 'waiting']],
      ['&runtimeStatus=0', ['waiting']],
      ['&runtimeStatus=Running&runtimeStatus=1', ['done', 'waiting']],
      ['&runtimeStatus=Canceled', []],
    ];
    for (const [filter, ids] of table) expect(await list(filter), filter).toEqual(ids);
  });

  it('refuses to purge an unfinished instance (412) and a filtered purge without createdTimeFrom (400)', async () => {
    const waiting = await start('twoEvents');
    expect((await request(managed(waiting), { method: 'DELETE' })).status).toBe(412);
    expect((await request(managed(waiting))).status).toBe(202); // still there
    const done = (await finished(await start('chain', 1))).instanceId;
    const created = Date.parse(((await request(managed(done))).body as StatusBody).createdTime as string);
    const missing = await request(`${mgmt}/instances/?runtimeStatus=Completed`, { method: 'DELETE' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('createdTimeFrom');
    expect((await request(managed(done))).status).toBe(200); // nothing was purged
    const from = new Date(created - 1000).toISOString();
    const purged = await request(`${mgmt}/instances/?createdTimeFrom=${from}&runtimeStatus=Completed`, { method: 'DELETE' });
    expect(purged.status).toBe(200);
    expect((purged.body as { instancesDeleted: number }).instancesDeleted).toBeGreaterThanOrEqual(1);
    expect((await request(managed(done))).status).toBe(404);
    expect((await request(managed(waiting))).status).toBe(202); // a filtered purge never takes a running instance
  });

  it('takes raiseEvent only as application/json, after checking the instance', async () => {
    const id = await start('twoEvents');
    const table: [contentType: string | undefined, event: string, status: number][] = [
      [undefined, 'a', 400],
      ['text/plain', 'a', 400],
      ['application/x-www-form-urlencoded', 'a', 400],
      ['application/jsonp', 'a', 400],
      ['application/json; charset=utf-8', 'a', 202],
      ['APPLICATION/JSON', 'b', 202],
    ];
    for (const [contentType, event, status] of table) {
      const response = await fetch(`${managed(id)}/raiseEvent/${event}`, {
        method: 'POST',
        body: `"${event}"`,
        headers: contentType ? { 'content-type': contentType } : {},
      });
      expect(response.status, String(contentType)).toBe(status);
      if (status === 400) expect(await response.text()).toContain('application/json');
    }
    expect((await finished(id)).output).toEqual(['a', 'b']); // the refused ones never arrived
    expect(
      (await fetch(`${managed(id)}/raiseEvent/a`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })).status,
    ).toBe(410);
    expect(
      (await fetch(`${managed('no-such-instance')}/raiseEvent/a`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }))
        .status,
    ).toBe(404);
  });
});

describe('management API bad input', () => {
  it('answers Azure status codes and stays up', async () => {
    expect((await request(`${mgmt}/orchestrators/noSuchOrchestrator`, { method: 'POST' })).status).toBe(400);
    expect((await request(`${mgmt}/orchestrators/double`, { method: 'POST' })).status).toBe(400); // an activity, not an orchestrator
    expect((await request(`${mgmt}/orchestrators/chain`, { method: 'POST', body: '{not json' })).status).toBe(400);
    expect((await request(`${mgmt}/instances/does-not-exist`)).status).toBe(404);
    expect((await request(`${mgmt}/instances/does-not-exist/raiseEvent/x`, { method: 'POST', json: 1 })).status).toBe(404);
    expect((await request(`${mgmt}/instances/does-not-exist/terminate?reason=x`, { method: 'POST' })).status).toBe(404);
    expect((await request(`${mgmt}/instances/does-not-exist/suspend`, { method: 'POST' })).status).toBe(404);
    expect((await request(`${mgmt}/instances/does-not-exist`, { method: 'DELETE' })).status).toBe(404);
    expect((await request(`${mgmt}/instances/?createdTimeFrom=yesterday`)).status).toBe(400);
    expect((await request(`${mgmt}/instances/?top=-1`)).status).toBe(400);
    expect((await request(`${mgmt}/instances/x/%E0%A4%A`)).status).toBe(400);
    expect((await request(`${mgmt}/nonsense`)).status).toBe(404);
    expect((await request(`${mgmt}/entities/counter/k?op=add`, { method: 'POST', body: '{oops' })).status).toBe(400);
    expect((await request(`${mgmt}/entities/noSuchEntity/k?op=add`, { method: 'POST', json: 1 })).status).toBe(404);
    expect((await request(`${mgmt}/entities/counter/k`, { method: 'POST', json: 1 })).status).toBe(400); // no op
    const id = await start('twoEvents');
    expect((await request(`${mgmt}/instances/${id}/raiseEvent/a`, { method: 'POST', body: '{bad' })).status).toBe(400);
    expect((await request(`${mgmt}/instances/${id}`, { method: 'DELETE' })).status).toBe(412); // still running
    expect((await request(`${mgmt}/instances/?runtimeStatus=Completed`, { method: 'DELETE' })).status).toBe(400); // no createdTimeFrom
    // Still serving.
    expect((await finished(await start('chain', 1))).output).toBe(32);
  });
});
