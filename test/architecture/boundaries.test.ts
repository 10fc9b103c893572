/**
 * The layering rules of .dependency-cruiser.cjs (docs/architecture.md "Layers"), run on a small
 * tree written for the purpose: every rule must catch its violation and let the allowed imports by.
 * `npm run lint` runs the same rules over the real tree.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cruise, type IConfiguration, type IReporterOutput } from 'dependency-cruiser';

const config = createRequire(__filename)('../../.dependency-cruiser.cjs') as IConfiguration;

/** file -> source. Each import is either allowed or breaks exactly one rule, named in the expectations below. */
const TREE: Record<string, string> = {
  'src/errors/index.ts': 'export class RolloutError extends Error {}\n',
  'src/ports/clock.ts': 'export interface Clock { now(): number }\nexport const systemClock: Clock = { now: () => 0 };\n',
  'src/analysis/types.ts': 'export type Verdict = "pass" | "fail";\n',
  'src/azure/adapter.ts': 'export const callAzure = (): number => 1;\n',
  'src/config/index.ts': 'export interface Settings { a: string }\n',
  'src/api/status.ts': 'export const describe = (): string => "";\n',
  'src/common/retry.ts': 'export const withRetries = (): number => 1;\n',
  'src/harness/emulator/world.ts': 'export const world = 1;\n',
  // allowed: pure -> pure, errors, ports (types only)
  'src/plan/ok.ts':
    "import type { Verdict } from '../analysis/types';\nimport { RolloutError } from '../errors';\nimport type { Clock } from '../ports/clock';\n" +
    'export const ok = (v: Verdict, c: Clock): unknown => [v, c.now(), RolloutError];\n',
  // broken: pure -> adapter, pure -> port implementation, pure -> Node builtin, pure -> config types
  'src/plan/bad-adapter.ts': "import { callAzure } from '../azure/adapter';\nexport const a = callAzure;\n",
  'src/orchestration/bad-port.ts': "import { systemClock } from '../ports/clock';\nexport const c = systemClock;\n",
  'src/analysis/bad-builtin.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
  'src/policy/bad-types.ts': "import type { Settings } from '../config';\nexport type S = Settings;\n",
  // broken: notify -> api; activities -> adapter; product -> harness
  'src/notify/message.ts': "import { describe } from '../api/status';\nexport const m = describe;\n",
  'src/activities/deploy.ts':
    "import { callAzure } from '../azure/adapter';\nimport { withRetries } from '../common/retry';\nexport const d = [callAzure, withRetries];\n",
  'src/app/root.ts':
    "import { world } from '../harness/emulator/world';\nimport { callAzure } from '../azure/adapter';\nexport const w = [world, callAzure];\n",
  // allowed: harness -> product
  'src/harness/sim/run.ts': "import { w } from '../../app/root';\nexport const run = w;\n",
};

let root = '';
let violations: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'boundaries-'));
  for (const [file, text] of Object.entries(TREE)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  writeFileSync(
    path.join(root, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true }, include: ['src'] }),
  );
  const options = {
    ...config.options,
    baseDir: root,
    ruleSet: { forbidden: config.forbidden },
    validate: true,
    tsConfig: { fileName: path.join(root, 'tsconfig.json') },
  };
  const result: IReporterOutput = await cruise(['src'], options);
  if (typeof result.output === 'string') throw new Error(result.output);
  violations = result.output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('architecture boundaries', () => {
  it('reports each forbidden import under its rule, and nothing else', () => {
    expect(violations.sort()).toEqual(
      [
        'activities-through-ports: src/activities/deploy.ts -> src/azure/adapter.ts',
        'notify-not-api: src/notify/message.ts -> src/api/status.ts',
        'product-not-harness: src/app/root.ts -> src/harness/emulator/world.ts',
        'pure-imports-only-pure: src/plan/bad-adapter.ts -> src/azure/adapter.ts',
        'pure-imports-only-pure: src/policy/bad-types.ts -> src/config/index.ts',
        'pure-no-impure-packages: src/analysis/bad-builtin.ts -> fs',
        'pure-uses-ports-for-types-only: src/orchestration/bad-port.ts -> src/ports/clock.ts',
      ].sort(),
    );
  });
});
