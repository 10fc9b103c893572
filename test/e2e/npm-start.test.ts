/**
 * `npm start` as a new user meets it: start the compiled app (local runtime + emulator + demo world)
 * as a child process, read what it prints, and follow it: register a version with the printed
 * command, find and watch the rollout with the CLI, approve it (through the API as curl would, and
 * with the printed CLI command), and check the emulated Azure ML endpoint, the model version's tags,
 * the printed scoring curl and the dashboard. Two apps run side by side: one takes a good version
 * to 100%, the other sees a bad version rolled back and then promotes the next one.
 *
 * The clock runs x300 (one real second is five virtual minutes): a whole demo rollout takes about
 * ten seconds, and the demo policy's 4-hour approval timeout leaves 48 real seconds to approve.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  armGet,
  cli,
  curlScoring,
  emulatorEndpoint,
  ensureBuilt,
  findRollout,
  pollStatus,
  runPrinted,
  startApp,
  type ReportedDetail,
  type StartedApp,
} from './helpers';

const START_ARGS = ['--port', '0', '--emulator-port', '0', '--clock', 'x300'];
const ENDPOINT = 'credit-scoring';
/** A generous limit for a busy 2-core machine (a run takes ~20 s); each wait inside names what it waited for. */
const TEST_TIMEOUT_MS = 180_000;
const ended = (d: ReportedDetail): boolean =>
  d.runtimeStatus === 'Completed' || d.runtimeStatus === 'Failed' || d.runtimeStatus === 'Terminated' || d.status.outcome !== undefined;
const waitsForApproval = (d: ReportedDetail): boolean => d.status.waitingFor?.kind === 'approval' || ended(d);

const apps: StartedApp[] = [];

beforeAll(async () => {
  await ensureBuilt();
}, 240_000);

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
});

async function start(): Promise<StartedApp> {
  const app = await startApp(START_ARGS);
  apps.push(app);
  return app;
}

/** The endpoint ends with `deployment` alone at 100% (live and routed), every other deployment gone. */
async function expectSoleDeployment(app: StartedApp, deployment: string, modelKey: string): Promise<void> {
  const endpoint = await emulatorEndpoint(app, ENDPOINT);
  expect(endpoint.traffic, 'endpoint traffic').toEqual({ [deployment]: 100 });
  expect(endpoint.effectiveTraffic, 'traffic that routes requests').toEqual({ [deployment]: 100 });
  expect(endpoint.mirrorTraffic, 'mirror traffic').toEqual({});
  expect(endpoint.deployments.map((d) => ({ name: d.name, modelKey: d.modelKey, state: d.provisioningState }))).toEqual([
    { name: deployment, modelKey, state: 'Succeeded' },
  ]);
}

async function expectVerdictTags(app: StartedApp, version: string, rolloutId: string, outcome: string): Promise<void> {
  const model = await armGet(app, `/models/credit-model/versions/${version}`);
  expect(model.status, JSON.stringify(model.body)).toBe(200);
  const tags = (model.body['properties'] as { tags: Record<string, string> }).tags;
  expect(tags).toMatchObject({ 'rollout-status': outcome, 'rollout-id': rolloutId });
}

interface InboxBody {
  messages: { channel: string; example: boolean; body: { links?: { label: string; url: string }[] } }[];
}

/** The Approve link of the approval request the local inbox received (the webhook copy); waits for its delivery. */
async function inboxApproveLink(app: StartedApp): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const inbox = (await (await fetch(`${app.appUrl}/inbox/messages.json`)).json()) as InboxBody;
    expect(
      inbox.messages.filter((m) => m.example),
      'the first run shows three examples',
    ).toHaveLength(3);
    const sent = inbox.messages.filter((m) => !m.example && m.channel === 'webhook');
    const link = sent.flatMap((m) => m.body.links ?? []).find((l) => l.label === 'Approve')?.url;
    if (link) return link;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no approval request reached the inbox\n${app.log()}`);
}

describe.concurrent('npm start, followed as printed', () => {
  it(
    'prints working instructions: GET / leads to the dashboard, a good version rolls out to 100% on an API approval',
    async () => {
      const app = await start();
      expect(app.env).toMatchObject({
        AML_ROLLOUT_URL: app.appUrl,
        AML_ROLLOUT_KEY: expect.any(String),
        AML_ROLLOUT_ARM_URL: expect.stringMatching(/^http:\/\//),
        EMULATOR_TOKEN: expect.any(String),
      });

      // The extensions' system keys are printed, and the Durable management API takes its own key only (as in Azure).
      expect(app.env).toMatchObject({ AML_ROLLOUT_WEBHOOK_KEY: expect.any(String), AML_ROLLOUT_DURABLE_KEY: expect.any(String) });
      const instances = `${app.appUrl}/runtime/webhooks/durabletask/instances`;
      expect((await fetch(`${instances}?code=${app.env['AML_ROLLOUT_KEY']}`)).status, 'the API key on the management API').toBe(401);
      expect((await fetch(`${instances}?code=${app.env['AML_ROLLOUT_DURABLE_KEY']}`)).status, 'the printed durable key').toBe(200);

      // d. the root redirects to the dashboard, which loads.
      const root = await fetch(`${app.appUrl}/`, { redirect: 'manual' });
      expect(root.status).toBe(302);
      const dashboardUrl = new URL(root.headers.get('location') ?? '(no location header)', app.appUrl).toString();
      const dashboard = await fetch(dashboardUrl);
      expect(dashboard.status).toBe(200);
      expect(dashboard.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await dashboard.text()).toMatch(/<html/i);
      expect((await fetch(app.dashboardUrl)).status, 'the printed dashboard URL').toBe(200);

      // c. before any rollout, users get blue.
      const before = await curlScoring(app);
      expect(before.status, before.body).toBe(200);
      expect(before.deployment).toBe('blue');
      expect(JSON.parse(before.body)).toMatchObject({ deployment: 'blue', model: 'credit-model', version: '1' });

      // a. register credit-model:2 with the printed command.
      expect(app.commands.register).toContain('--model credit-model --version 2');
      const registered = await runPrinted(app, app.commands.register);
      expect(registered.code, `${registered.stdout}\n${registered.stderr}`).toBe(0);
      const rolloutId = await findRollout(app, 'credit-model', '2');
      expect(registered.stdout).toContain(rolloutId);

      const waiting = await pollStatus(app, rolloutId, 'waiting for approval', waitsForApproval);
      expect(waiting.status.outcome, 'ended before asking for approval').toBeUndefined();
      expect(waiting.status.phase).toBe('AwaitingApproval');
      expect(
        waiting.status.gates.filter((g) => g.verdict === 'fail'),
        'no gate failed on the good version',
      ).toEqual([]);
      expect(waiting.status.gates.length, 'gates were evaluated before the approval').toBeGreaterThan(0);

      // The banner names the policy folder in use and the inbox; the inbox holds the first run's
      // examples and the approval request, whose signed link opens the confirmation page.
      expect(app.output).toMatch(/^Policies: .*demo\/policies /m);
      expect(app.output).toContain(`Notifications: ${app.appUrl}/inbox/`);
      const approveLink = await inboxApproveLink(app);
      const confirm = await fetch(approveLink);
      expect(confirm.status).toBe(200);
      expect(await confirm.text()).toMatch(/Approve rollout of credit-model version 2\?/);

      // Approve through the API as a person with curl: a wrong key is refused, the printed key works.
      const approveUrl = `${app.appUrl}/api/rollouts/${encodeURIComponent(rolloutId)}/approve`;
      const body = JSON.stringify({ by: 'demo@contoso.com', comment: 'approved over the API' });
      const refused = await fetch(approveUrl, {
        method: 'POST',
        headers: { 'x-functions-key': 'not-the-key', 'content-type': 'application/json' },
        body,
      });
      expect(refused.status).toBe(401);
      const approved = await fetch(approveUrl, {
        method: 'POST',
        headers: { 'x-functions-key': app.env['AML_ROLLOUT_KEY'] as string, 'content-type': 'application/json' },
        body,
      });
      const approvedText = await approved.text();
      expect(approved.status, approvedText).toBe(202);
      expect(JSON.parse(approvedText)).toMatchObject({ rolloutId, action: 'approve', by: 'demo@contoso.com', accepted: true });

      const done = await pollStatus(app, rolloutId, 'ended', ended);
      expect(done.status.outcome, done.status.reason).toBe('promoted');
      expect(done.phase).toBe('Promoted');
      expect(done.status.approvals).toEqual([
        expect.objectContaining({
          decision: 'approve',
          by: 'demo@contoso.com',
          accepted: true,
          comment: 'approved over the API (name claimed by an API key holder, not verified)',
        }),
      ]);
      await expectSoleDeployment(app, 'credit-model-v2', 'credit-model:2');
      expect((await armGet(app, `/onlineEndpoints/${ENDPOINT}/deployments/blue`)).status, 'blue is deleted').toBe(404);
      await expectVerdictTags(app, '2', rolloutId, 'promoted');

      // The printed approve command, now that nothing waits: a conflict (exit 4) naming the reason.
      const late = await runPrinted(app, app.commands.approve.replace('<rollout-id>', rolloutId));
      expect(late.code, late.stdout).toBe(4);
      expect(late.stderr).toMatch(/ended \(Promoted\)/);

      // c. users now get the new version.
      const after = await curlScoring(app);
      expect(after.status, after.body).toBe(200);
      expect(after.deployment).toBe('credit-model-v2');
      expect(JSON.parse(after.body)).toMatchObject({ deployment: 'credit-model-v2', version: '2' });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'rolls back a bad version (printed --error-rate command) with the failing gate as evidence, then promotes the next one on a CLI approval',
    async () => {
      const app = await start();

      // b. the printed bad version: 30% errors.
      expect(app.commands.registerBad).toMatch(/--model credit-model --version 3 --error-rate 0\.3/);
      const registered = await runPrinted(app, app.commands.registerBad);
      expect(registered.code, `${registered.stdout}\n${registered.stderr}`).toBe(0);
      const badId = await findRollout(app, 'credit-model', '3');
      // `npm run emulator -- register` prints the rollout id it started.
      expect(registered.stdout).toContain(`rollout: ${badId} (`);

      const bad = await pollStatus(app, badId, 'ended', ended);
      expect(bad.status.outcome, bad.status.reason).toBe('rolledBack');
      expect(bad.phase).toBe('RolledBack');
      const failed = bad.status.gates.filter((g) => g.verdict === 'fail');
      expect(failed.length, `a failing gate in ${JSON.stringify(bad.status.gates)}`).toBeGreaterThan(0);
      const errorEvidence = failed.flatMap((g) => g.evidence).find((e) => e.metric === 'failedRequestRate' && e.verdict === 'fail');
      expect(errorEvidence, `failedRequestRate evidence in ${JSON.stringify(failed)}`).toBeDefined();
      expect(errorEvidence?.candidate).toBeGreaterThan(0.1);
      await expectSoleDeployment(app, 'blue', 'credit-model:1');
      expect((await armGet(app, `/onlineEndpoints/${ENDPOINT}/deployments/credit-model-v3`)).status, 'the candidate is deleted').toBe(404);
      await expectVerdictTags(app, '3', badId, 'rolledBack');
      const scored = await curlScoring(app);
      expect(scored.deployment).toBe('blue');

      // The next (good) version, registered and approved with the printed CLI commands.
      const register = app.commands.register.replace('--version 2', '--version 4');
      const next = await runPrinted(app, register);
      expect(next.code, `${next.stdout}\n${next.stderr}`).toBe(0);
      const goodId = await findRollout(app, 'credit-model', '4');
      const waiting = await pollStatus(app, goodId, 'waiting for approval', waitsForApproval);
      expect(waiting.status.outcome, 'ended before asking for approval').toBeUndefined();

      const approve = await runPrinted(app, app.commands.approve.replace('<rollout-id>', goodId));
      expect(approve.code, `${approve.stdout}\n${approve.stderr}`).toBe(0);
      // The printed watch command follows the rollout to its end: exit 0 when promoted.
      const watched = await runPrinted(app, `${app.commands.watch.replace('<rollout-id>', goodId)} --json --interval 0.5`);
      expect(watched.code, `${watched.stdout.slice(-2000)}\n${watched.stderr}`).toBe(0);
      const done = await pollStatus(app, goodId, 'ended', ended);
      expect(done.status.outcome, done.status.reason).toBe('promoted');
      expect(done.status.approvals).toEqual([
        expect.objectContaining({
          decision: 'approve',
          by: 'demo@contoso.com',
          accepted: true,
          comment: 'looks good (name claimed by an API key holder, not verified)',
        }),
      ]);
      await expectSoleDeployment(app, 'credit-model-v4', 'credit-model:4');
      await expectVerdictTags(app, '4', goodId, 'promoted');
      expect((await curlScoring(app)).deployment).toBe('credit-model-v4');

      // The CLI's list shows both ends.
      const list = await cli(app, ['list', '--status', 'ended', '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect((JSON.parse(list.stdout) as Array<{ rolloutId: string; phase: string }>).map((r) => [r.rolloutId, r.phase]).sort()).toEqual(
        [
          [badId, 'RolledBack'],
          [goodId, 'Promoted'],
        ].sort(),
      );
    },
    TEST_TIMEOUT_MS,
  );
});
