// Lint rules that keep the architecture honest (see docs/architecture.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

// Orchestrations are replayed: anything that reads the wall clock, randomness, timers or I/O
// would make a replay diverge from the recorded history.
const deterministicModules = ['src/orchestration/**/*.ts', 'src/plan/**/*.ts', 'src/analysis/**/*.ts', 'src/policy/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.mjs', '**/*.js', '!src/dashboard/static/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The dashboard's browser scripts: plain JavaScript served as is (type-checked by
    // src/dashboard/static/tsconfig.json through `npm run typecheck`).
    files: ['src/dashboard/static/*.js'],
    languageOptions: { sourceType: 'script', ecmaVersion: 2022, globals: { ...globals.browser } },
    rules: { 'no-implicit-globals': 'error', '@typescript-eslint/no-unused-vars': ['error', { caughtErrors: 'none' }] },
  },
  {
    // Tool configuration files (dependency-cruiser reads CommonJS).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.mts'] }, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Only src/config reads process.env.' }],
    },
  },
  {
    files: ['src/config/**/*.ts', 'test/**/*.ts', 'src/harness/bench/**/*.ts', 'vitest.config.mts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: deterministicModules,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Deterministic modules import no Node builtin.' })),
          patterns: [
            { group: ['@azure/*'], message: 'Deterministic modules import no Azure SDK.' },
            {
              group: ['**/azure/**', '**/harness/**', '**/activities/**', '**/config/**'],
              message: 'Deterministic modules import no adapter.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...[
          'setTimeout',
          'setInterval',
          'setImmediate',
          'clearTimeout',
          'clearInterval',
          'queueMicrotask',
          'fetch',
          'process',
          'require',
        ].map((name) => ({ name, message: `${name} is not replay-safe; use context.df or pass data in.` })),
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Date.now() is not replay-safe: use context.df.currentUtcDateTime.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'new Date() is not replay-safe: use context.df.currentUtcDateTime.',
        },
        { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'Math.random is not replay-safe.' },
      ],
    },
  },
);
