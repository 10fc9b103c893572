#!/usr/bin/env node
/**
 * Runs `tsc -p tsconfig.json` when a TypeScript source is newer than its compiled output in dist/
 * (or has none), so `npm run simulate`, `host`, `emulator`, `schema` and `policies:check` never run
 * a stale build. Written by hand because it is a file walk and a time comparison: `tsc --build`
 * needs a composite project and still type-checks every file on each run.
 *
 * Usage: node scripts/build-if-stale.cjs   (from the repository root; exits with tsc's code)
 */
'use strict';
const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

/**
 * The folders a tsconfig compiles: each "include" pattern up to its first wildcard
 * ('src/**\/*.ts' -> 'src'). Read from the config rather than listed here, so a folder added to
 * the build (or moved, like the harness under src/harness) is watched without editing this file.
 */
function sourceDirsOf(root, tsconfig = 'tsconfig.json') {
  const file = path.join(root, tsconfig);
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  let config;
  try {
    config = JSON.parse(text);
  } catch {
    // tsconfig allows comments and trailing commas: let TypeScript read it (slower, so only then).
    config = require('typescript').parseConfigFileTextToJson(file, text).config ?? {};
  }
  const include = Array.isArray(config.include) ? config.include : [];
  return [
    ...new Set(
      include
        .map((pattern) =>
          String(pattern)
            .split(/[*?{[]/)[0]
            .replace(/\/+$/, ''),
        )
        .filter((dir) => dir !== ''),
    ),
  ];
}

/** Every .ts file (not .d.ts) under `dir`, as paths relative to `root`. */
function sourcesUnder(root, dir) {
  const found = [];
  const walk = (relative) => {
    const absolute = path.join(root, relative);
    if (!existsSync(absolute)) return;
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(child);
    }
  };
  walk(dir);
  return found;
}

/**
 * The first source whose output is missing or older than it (or than tsconfig.json), or undefined
 * when dist/ is up to date.
 */
function staleSource(root, { outDir = 'dist', tsconfig = 'tsconfig.json', sourceDirs = sourceDirsOf(root, tsconfig) } = {}) {
  const configMs = existsSync(path.join(root, tsconfig)) ? statSync(path.join(root, tsconfig)).mtimeMs : 0;
  for (const dir of sourceDirs) {
    for (const source of sourcesUnder(root, dir)) {
      const output = path.join(root, outDir, source.replace(/\.ts$/, '.js'));
      if (!existsSync(output)) return source;
      const outputMs = statSync(output).mtimeMs;
      if (outputMs < statSync(path.join(root, source)).mtimeMs || outputMs < configMs) return source;
    }
  }
  return undefined;
}

function main() {
  const root = path.resolve(__dirname, '..');
  const stale = staleSource(root);
  if (stale === undefined) return 0;
  process.stderr.write(`build: ${stale} is newer than dist/, compiling\n`);
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  return result.status ?? 1;
}

module.exports = { staleSource, sourceDirsOf };

if (require.main === module) process.exitCode = main();
