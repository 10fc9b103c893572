/** scripts/build-if-stale.cjs: which source makes dist/ stale (the scripts rebuild only then). */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const { staleSource } = createRequire(__filename)('../../scripts/build-if-stale.cjs') as {
  staleSource: (root: string, options?: { outDir?: string; sourceDirs?: string[]; tsconfig?: string }) => string | undefined;
};

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A tree whose files have the given modification times (seconds since an arbitrary origin). */
function tree(files: Record<string, number>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'stale-'));
  roots.push(root);
  for (const [file, seconds] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), '');
    utimesSync(path.join(root, file), 1_000_000 + seconds, 1_000_000 + seconds);
  }
  return root;
}

describe('staleSource', () => {
  it.each<{ name: string; files: Record<string, number>; stale: string | undefined }>([
    { name: 'every output newer than its source and the config', files: { 'tsconfig.json': 0, 'src/a.ts': 1, 'dist/src/a.js': 2 }, stale: undefined },
    { name: 'a source edited after its output', files: { 'tsconfig.json': 0, 'src/a.ts': 3, 'dist/src/a.js': 2 }, stale: 'src/a.ts' },
    { name: 'a new source without output', files: { 'tsconfig.json': 0, 'src/a.ts': 1, 'dist/src/a.js': 2, 'src/deep/b.ts': 1 }, stale: 'src/deep/b.ts' },
    { name: 'no dist at all', files: { 'tsconfig.json': 0, 'functions/f.ts': 1 }, stale: 'functions/f.ts' },
    { name: 'the config changed after the build', files: { 'tsconfig.json': 5, 'src/a.ts': 1, 'dist/src/a.js': 2 }, stale: 'src/a.ts' },
    { name: 'declaration files and other files have no output', files: { 'tsconfig.json': 0, 'src/jstat.d.ts': 9, 'src/static/app.js': 9 }, stale: undefined },
    { name: 'folders outside the compiled ones are not looked at', files: { 'tsconfig.json': 0, 'docs/x.ts': 9 }, stale: undefined },
  ])('$name', ({ files, stale }) => {
    expect(staleSource(tree(files))?.split(path.sep).join('/')).toBe(stale);
  });

  it('looks at test/fixtures, which the build compiles, but not at the tests', () => {
    expect(staleSource(tree({ 'tsconfig.json': 0, 'test/unit.test.ts': 1 }))).toBeUndefined();
    expect(staleSource(tree({ 'tsconfig.json': 0, 'test/fixtures/app/index.ts': 1 }))?.split(path.sep).join('/')).toBe('test/fixtures/app/index.ts');
  });
});
