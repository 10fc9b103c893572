/** scripts/build-if-stale.cjs: which source makes dist/ stale (the scripts rebuild only then). */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterEach, describe, expect, it } from 'vitest';

const { staleSource, sourceDirsOf } = createRequire(__filename)('../../scripts/build-if-stale.cjs') as {
  staleSource: (root: string, options?: { outDir?: string; sourceDirs?: string[]; tsconfig?: string }) => string | undefined;
  sourceDirsOf: (root: string, tsconfig?: string) => string[];
};

const REPO = path.resolve(__dirname, '../..');
/** What the trees below compile, like the project's tsconfig.json. */
const TSCONFIG = JSON.stringify({ include: ['functions/**/*.ts', 'src/**/*.ts', 'test/fixtures/**/*.ts'] });

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A tree whose files have the given modification times (seconds since an arbitrary origin). */
function tree(files: Record<string, number>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'stale-'));
  roots.push(root);
  for (const [file, seconds] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), file === 'tsconfig.json' ? TSCONFIG : '');
    utimesSync(path.join(root, file), 1_000_000 + seconds, 1_000_000 + seconds);
  }
  return root;
}

describe('staleSource', () => {
  it.each<{ name: string; files: Record<string, number>; stale: string | undefined }>([
    {
      name: 'every output newer than its source and the config',
      files: { 'tsconfig.json': 0, 'src/a.ts': 1, 'dist/src/a.js': 2 },
      stale: undefined,
    },
    { name: 'a source edited after its output', files: { 'tsconfig.json': 0, 'src/a.ts': 3, 'dist/src/a.js': 2 }, stale: 'src/a.ts' },
    {
      name: 'a new source without output',
      files: { 'tsconfig.json': 0, 'src/a.ts': 1, 'dist/src/a.js': 2, 'src/deep/b.ts': 1 },
      stale: 'src/deep/b.ts',
    },
    { name: 'no dist at all', files: { 'tsconfig.json': 0, 'functions/f.ts': 1 }, stale: 'functions/f.ts' },
    { name: 'the config changed after the build', files: { 'tsconfig.json': 5, 'src/a.ts': 1, 'dist/src/a.js': 2 }, stale: 'src/a.ts' },
    {
      name: 'declaration files and other files have no output',
      files: { 'tsconfig.json': 0, 'src/jstat.d.ts': 9, 'src/static/app.js': 9 },
      stale: undefined,
    },
    { name: 'folders outside the compiled ones are not looked at', files: { 'tsconfig.json': 0, 'docs/x.ts': 9 }, stale: undefined },
  ])('$name', ({ files, stale }) => {
    expect(staleSource(tree(files))?.split(path.sep).join('/')).toBe(stale);
  });

  it('looks at test/fixtures, which the build compiles, but not at the tests', () => {
    expect(staleSource(tree({ 'tsconfig.json': 0, 'test/unit.test.ts': 1 }))).toBeUndefined();
    expect(
      staleSource(tree({ 'tsconfig.json': 0, 'test/fixtures/app/index.ts': 1 }))
        ?.split(path.sep)
        .join('/'),
    ).toBe('test/fixtures/app/index.ts');
  });

  it('looks at the harness folder src/harness like any other folder under src', () => {
    const files = { 'tsconfig.json': 0, 'src/a.ts': 1, 'dist/src/a.js': 2, 'src/harness/sim/cli.ts': 3, 'dist/src/harness/sim/cli.js': 2 };
    expect(staleSource(tree(files))?.split(path.sep).join('/')).toBe('src/harness/sim/cli.ts');
  });
});

describe('sourceDirsOf', () => {
  it('reads the folders from the include patterns, also from a tsconfig with comments', () => {
    const root = tree({});
    writeFileSync(
      path.join(root, 'tsconfig.json'),
      '{\n  // the app\n  "include": ["functions/**/*.ts", "src/**/*.ts", "lib/*.ts", "test/fixtures/**/*.ts",],\n}\n',
    );
    expect(sourceDirsOf(root)).toEqual(['functions', 'src', 'lib', 'test/fixtures']);
    expect(sourceDirsOf(tree({}))).toEqual([]);
  });

  it("covers every file the project's tsconfig.json compiles (functions/, src/ with the harness, the fixtures)", () => {
    const dirs = sourceDirsOf(REPO);
    const config = ts.readConfigFile(path.join(REPO, 'tsconfig.json'), (file) => ts.sys.readFile(file)).config as unknown;
    const compiled = ts
      .parseJsonConfigFileContent(config, ts.sys, REPO)
      .fileNames.map((file) => path.relative(REPO, file).split(path.sep).join('/'));
    expect(compiled.length).toBeGreaterThan(0);
    expect(compiled.filter((file) => !dirs.some((dir) => file.startsWith(`${dir}/`)))).toEqual([]);
    expect(dirs).toEqual(expect.arrayContaining(['functions', 'src']));
  });
});
