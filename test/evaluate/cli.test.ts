/**
 * `aml-rollout evaluate` in-process through the CLI's run(): the table, --json, --html, progress
 * lines when stderr is not a terminal, and bad input (exit 2, a message naming what is wrong).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { run } from '../../src/cli';
import { registerEvaluateCommand } from '../../src/cli/evaluate';
import type { EvaluationReport } from '../../src/evaluate/evaluate';

const policy = path.join(__dirname, 'fixtures', 'agreement-canary.yaml');
const dir = mkdtempSync(path.join(os.tmpdir(), 'aml-rollout-evaluate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file in the test's folder with this text; its path. */
function fileWith(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The canary-promoted scenario with the live version's behaviour changed; its path. */
function scenarioWith(live: { errorRate: number }): string {
  const scenario = JSON.parse(readFileSync(path.join(__dirname, '..', 'scenarios', 'canary-promoted.json'), 'utf8')) as {
    behavior: Record<string, { errorRate: number }>;
  };
  const key = 'credit-model:1';
  scenario.behavior[key] = { ...(scenario.behavior[key] as { errorRate: number }), ...live };
  return fileWith('bad-scenario.json', JSON.stringify(scenario));
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (s) => void out.push(s), err: (s) => void err.push(s), env: () => undefined, isTTY: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('aml-rollout evaluate', () => {
  it('prints a row per case with the promote / detection rate, and progress lines on stderr', async () => {
    const r = await cli(['evaluate', policy, '--runs', '4', '--rpm', '300', '--regression', 'errors*10', '--regression', 'outright']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^healthy\s+promoted \d+\.\d% \[/m);
    expect(r.out).toMatch(/^errors x10\s+caught 100\.0% \[/m);
    expect(r.out).toMatch(/^fails outright\s+caught 100\.0%/m);
    expect(r.err).toMatch(/evaluate: 12\/12 runs/);
  });

  it('draws a progress bar when stderr is a terminal', async () => {
    const written: string[] = [];
    const out: string[] = [];
    const program = new Command().exitOverride();
    registerEvaluateCommand(
      program,
      { out: (s) => void out.push(s), err: () => undefined, env: () => undefined, isTTY: true },
      { stderrIsTTY: true, write: (t) => void written.push(t) },
    );
    await program.parseAsync(['evaluate', policy, '--runs', '10', '--regression', 'outright'], { from: 'user' });
    expect(written.join('')).toContain('\r[###############...............] 10/20 runs');
    expect(written.at(-1)).toBe('\r[##############################] 20/20 runs\n');
  });

  it('--json gives the report; --html writes the page; a policy is found by name in --policy-dir', async () => {
    const html = path.join(dir, 'report.html');
    const r = await cli([
      'evaluate',
      'agreement-canary',
      '--policy-dir',
      path.dirname(policy),
      '--runs',
      '3',
      '--regression',
      'latency+40%',
      '--json',
      '--html',
      html,
      '--judge',
      'all',
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as EvaluationReport;
    expect(report.policy).toBe('agreement-canary');
    expect(report.cases.map((c) => `${c.judge}:${c.case}`)).toEqual([
      'aml-rollout:healthy',
      'aml-rollout:latency +40%',
      'argo:healthy',
      'argo:latency +40%',
      'kayenta:healthy',
      'kayenta:latency +40%',
    ]);
    expect(readFileSync(html, 'utf8')).toMatch(/<svg[^>]+aria-label="Rolled back, by regression size/);
  });

  it('reads the live behaviour and traffic from a scenario, and a daily curve from a file', async () => {
    const curve = path.join(dir, 'curve.json');
    writeFileSync(
      curve,
      JSON.stringify([
        { hour: 0, requestsPerMinute: 100 },
        { hour: 12, requestsPerMinute: 500 },
      ]),
    );
    const daily = await cli(['evaluate', policy, '--runs', '2', '--daily', curve, '--regression', 'outright']);
    expect(daily.out).toMatch(/daily curve 100-500 requests\/min from 9:00/);
    const scenario = path.join(__dirname, '..', 'scenarios', 'canary-promoted.json');
    const fromScenario = await cli(['evaluate', policy, '--runs', '2', '--scenario', scenario, '--regression', 'outright']);
    expect(fromScenario.code).toBe(0);
    expect(fromScenario.out).toMatch(/live version: error rate/);
  });

  it.each([
    [['evaluate', 'no-such.yaml'], /no-such\.yaml: no such policy file/],
    [['evaluate', 'no-such-policy', '--policy-dir', path.join(__dirname, 'fixtures')], /no policy named "no-such-policy"/],
    [['evaluate', policy, '--runs', '0'], /--runs: expected a whole number/],
    [['evaluate', policy, '--error-rate', '2'], /--error-rate: expected a fraction/],
    [['evaluate', policy, '--p50', '100', '--p95', '50'], /--p95: expected at least p50/],
    [['evaluate', policy, '--regression', 'slower'], /"slower" is not a regression/],
    [['evaluate', policy, '--judge', 'flagger'], /"flagger" is not a judge/],
    [['evaluate', policy, '--schedule', 'adaptive'], /declares no adaptive bake/],
    [['evaluate', policy, '--adaptive', 'min=5'], /--adaptive: .*maxBakeMinutes/],
    [['evaluate', policy, '--adaptive', 'min=5,max=10,colour=3'], /unknown key\(s\) colour/],
    [['evaluate', policy, '--daily', '/no/such/curve.json'], /cannot read the daily curve file/],
    [['evaluate', policy, '--rpm', '0'], /--rpm: expected a number > 0/],
    [['evaluate', policy, '--start-hour', '24'], /--start-hour: expected an hour in \[0, 24\)/],
    [['evaluate', policy, '--seed', '1.5'], /--seed: expected a whole number/],
    [['evaluate', policy, '--approval-minutes', '-1'], /--approval-minutes: expected a number >= 0/],
    [['evaluate', policy, '--schedule', 'sometimes'], /--schedule: expected fixed, adaptive or both/],
    [['evaluate', policy, '--scenario', '/no/such/scenario.json'], /cannot read the scenario file/],
    [
      ['evaluate', policy, '--scenario', scenarioWith({ errorRate: 1 })],
      /behavior\.credit-model:1\.errorRate: expected a fraction in \[0, 1\)/,
    ],
    [['evaluate', policy, '--daily', fileWith('bad-curve.json', '[{ "hour": 30, "requestsPerMinute": 100 }]')], /0\.hour: Too big/],
    [['evaluate', path.join(__dirname, '..', '..', 'policies', 'shadow.yaml')], /uses the custom metric 'approvalRate'/],
  ])('refuses %j with exit 2 and a clear message', async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});
