/**
 * `npm run bench -- status-size [scenario.json ...]`: runs scenarios (default: test/scenarios/*.json)
 * in the simulator and reports, per scenario, the largest custom status the rollout published, in
 * KB of UTF-16 (how the Durable Functions extension measures its 16 KB limit, docs/azure-fidelity.md),
 * and how much of it is the per-look evidence history (src/plan/evidence-history.ts), the journal
 * and the last gate results. The orchestrator publishes the status through fitStatusToBudget
 * (src/plan/status-budget.ts), so every scenario should read "fits" and at most 15 KB.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runScenario } from '../sim/run-scenario';
import { parseScenario } from '../sim/scenario';
import { CUSTOM_STATUS_LIMIT_KB as LIMIT_KB, customStatusRefusal } from '../../plan/status-budget';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SCENARIOS = path.join(ROOT, 'test', 'scenarios');
const refused = (text: string) => customStatusRefusal(text) !== undefined;

const kb = (text: string) => Buffer.byteLength(text, 'utf16le') / 1024;
const part = (status: Record<string, unknown>, key: string) => (status[key] === undefined ? 0 : kb(JSON.stringify(status[key])));

export async function main(args: string[]): Promise<void> {
  const files =
    args.length > 0
      ? args.map((a) => path.resolve(a))
      : readdirSync(SCENARIOS)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => path.join(SCENARIOS, f));
  const rows: string[][] = [];
  for (const file of files) {
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    let largest = '';
    const result = await runScenario(scenario, {
      scenarioFile: file,
      app: ROOT,
      onStatus: (json) => {
        if (json.length > largest.length) largest = json;
      },
    });
    const status = largest ? (JSON.parse(largest) as Record<string, unknown>) : {};
    const total = largest ? kb(largest) : 0;
    rows.push([
      scenario.name,
      result.outcome ?? '-',
      String(result.decisionMinute ?? '-'),
      total.toFixed(1),
      part(status, 'evidenceHistory').toFixed(1),
      part(status, 'journal').toFixed(1),
      part(status, 'gates').toFixed(1),
      largest && refused(largest) ? 'refused' : 'fits',
    ]);
  }
  const header = [
    'scenario',
    'outcome',
    'decision min',
    'largest status KB',
    'evidence history KB',
    'journal KB',
    'last gates KB',
    `${LIMIT_KB} KB limit`,
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows]) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
}
