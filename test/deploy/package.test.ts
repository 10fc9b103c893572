/**
 * The deployed Functions package (docs/deploy.md): the project folder after `npm run build`, less
 * what .funcignore lists (azd packages it that way). It must hold the app and nothing of the
 * harness. Runs on the dist/ that `npm test` builds first.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ignore from 'ignore';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');

/** Every file below the root, relative, with '/' separators (node_modules and .git are not walked). */
function filesOf(dir = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (relative === 'node_modules' || relative === '.git') continue;
      out.push(...filesOf(relative));
    } else out.push(relative);
  }
  return out;
}

/** The package's files for a .funcignore text (gitignore syntax, as the Functions tooling reads it). */
function packageFiles(funcignore: string, files: readonly string[]): string[] {
  const rules = ignore().add(funcignore);
  return files.filter((file) => !rules.ignores(file));
}

const HARNESS = [/^dist\/src\/harness\//, /^dist\/test\//, /^(src|test|functions|scripts)\/.*\.ts$/, /^test\//];

let shipped: string[] = [];
beforeAll(() => {
  expect(existsSync(path.join(root, 'dist/functions')), 'dist/ is built (npm test builds first)').toBe(true);
  shipped = packageFiles(readFileSync(path.join(root, '.funcignore'), 'utf8'), filesOf());
});

describe('the deployed package', () => {
  it('holds the app: host.json, package.json, every compiled function, the product modules, the dashboard and the policies', () => {
    expect(shipped).toEqual(
      expect.arrayContaining([
        'host.json',
        'package.json',
        'package-lock.json',
        'src/dashboard/static/app.js',
        'src/dashboard/static/index.html',
      ]),
    );
    for (const fn of readdirSync(path.join(root, 'functions')).filter((f) => f.endsWith('.ts'))) {
      expect(shipped).toContain(`dist/functions/${fn.replace(/\.ts$/, '.js')}`);
    }
    for (const product of [
      'app/index.js',
      'orchestration/rollout-orchestrator.js',
      'activities/index.js',
      'azure/index.js',
      'api/register.js',
      'config/index.js',
    ]) {
      expect(shipped).toContain(`dist/src/${product}`);
    }
    expect(shipped.some((f) => f.startsWith('policies/'))).toBe(true);
  });

  it('holds nothing of the harness, no sources and no local settings', () => {
    expect(shipped.filter((file) => HARNESS.some((pattern) => pattern.test(file)))).toEqual([]);
    expect(shipped.filter((file) => /^(local\.settings|\.data\/|\.ci\/|docs\/|infra\/)/.test(file))).toEqual([]);
  });

  it('would notice a harness folder that .funcignore forgot', () => {
    const withoutHarnessRule = readFileSync(path.join(root, '.funcignore'), 'utf8').replace(/^\/dist\/src\/harness$/m, '');
    const leaked = packageFiles(
      withoutHarnessRule,
      filesOf('dist/src/harness/emulator').map((f) => f),
    );
    expect(leaked.length).toBeGreaterThan(0);
  });
});
