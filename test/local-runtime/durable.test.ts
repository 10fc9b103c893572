/**
 * Orchestrations of the fixture app on the runtime, driven through public surfaces only: HTTP
 * triggers, an unmodified DurableClient inside the fixture's `client/*` functions, and the
 * management API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type LocalRuntime } from '../../src/local-runtime/runtime';
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
    // Retry timers are in history with their own ids, and each attempt was scheduled once.
    const scheduled = exhausted.historyEvents?.filter((e) => e.EventType === 'TaskScheduled') ?? [];
    expect(scheduled.map((e) => e.FunctionName)).toEqual(['flaky', 'flaky']);
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
    const response = await request(`${mgmt}/instances/${done.instanceId}`);
    expect(response.status).toBe(400);
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
    for (const tick of [1, 2, 3]) expect((await request(`${mgmt}/instances/${id}/raiseEvent/tick`, { method: 'POST', json: tick })).status).toBe(202);
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
    const second = await request(`${mgmt}/instances/?top=2&instanceIdPrefix=page-`, { headers: { 'x-ms-continuation-token': token as string } });
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
    const raiser = await finished(await start('raiser', { activity, request: { instanceId: target, eventName: 'approve', data: `via ${activity}` } }));
    expect(raiser.runtimeStatus).toBe('Completed');
    expect(raiser.output).toEqual(expect.stringContaining(expectedResult));
    expect((await finished(target)).output).toEqual({ outcome: 'approved', by: `via ${activity}` });
  });

  it('a client call that the management API refuses fails the activity with its error', async () => {
    const done = await finished(await start('raiser', { activity: 'raiseOnInstance', request: { instanceId: 'no-such-instance', eventName: 'approve', data: 1 } }));
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
    expect((await request(`${mgmt}/instances/?runtimeStatus=Sleeping`)).status).toBe(400);
    expect((await request(`${mgmt}/instances/?createdTimeFrom=yesterday`)).status).toBe(400);
    expect((await request(`${mgmt}/instances/?top=-1`)).status).toBe(400);
    expect((await request(`${mgmt}/instances/x/%E0%A4%A`)).status).toBe(400);
    expect((await request(`${mgmt}/nonsense`)).status).toBe(404);
    expect((await request(`${mgmt}/entities/counter/k?op=add`, { method: 'POST', body: '{oops' })).status).toBe(400);
    expect((await request(`${mgmt}/entities/noSuchEntity/k?op=add`, { method: 'POST', json: 1 })).status).toBe(404);
    expect((await request(`${mgmt}/entities/counter/k`, { method: 'POST', json: 1 })).status).toBe(400); // no op
    const id = await start('twoEvents');
    expect((await request(`${mgmt}/instances/${id}/raiseEvent/a`, { method: 'POST', body: '{bad' })).status).toBe(400);
    expect((await request(`${mgmt}/instances/${id}`, { method: 'DELETE' })).status).toBe(409); // still running
    // Still serving.
    expect((await finished(await start('chain', 1))).output).toBe(32);
  });
});
