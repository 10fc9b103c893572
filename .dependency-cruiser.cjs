/**
 * The layering of docs/architecture.md, checked on every `npm run lint` (script lint:deps).
 * Each rule names the layer it protects; docs/architecture.md "Layers" says why each exists.
 */
const PURE = '^src/(plan|policy|analysis|orchestration)/';
const HARNESS = '^(src/harness/|test/)';
/** What runs in Azure: the function registrations and every src folder but the harness. */
const PRODUCT = '^(functions/|src/(?!harness/))';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'pure-imports-only-pure',
      comment:
        'src/plan, src/policy, src/analysis and src/orchestration are deterministic (orchestrations replay them): ' +
        'they import each other and src/errors, never an adapter, the composition root or the harness, not even for types.',
      severity: 'error',
      from: { path: PURE },
      to: { path: '^(src|functions|test)/', pathNot: [PURE, '^src/errors/', '^src/ports/'] },
    },
    {
      name: 'pure-uses-ports-for-types-only',
      comment: "Pure code may name a port's types (e.g. ProvisioningState) but never call an implementation.",
      severity: 'error',
      from: { path: PURE },
      to: { path: '^src/ports/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'pure-no-impure-packages',
      comment: 'No Node builtin, no Azure SDK, no other I/O library in deterministic code (durable-functions is the replay engine itself).',
      severity: 'error',
      from: { path: PURE },
      to: {
        dependencyTypes: ['core', 'npm', 'npm-dev'],
        pathNot: ['^node_modules/(zod|yaml|jstat|simple-statistics|durable-functions)/'],
      },
    },
    {
      name: 'notify-not-api',
      comment: 'Notifications are sent from activities; the HTTP API is one reader of rollouts among others, not a library.',
      severity: 'error',
      from: { path: '^src/notify/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'activities-through-ports',
      comment:
        'Activities reach Azure through the ports (src/ports); the adapters (src/azure) are wired in the composition root (src/app).',
      severity: 'error',
      from: { path: '^src/activities/' },
      to: { path: '^src/azure/' },
    },
    {
      name: 'product-not-harness',
      comment:
        'The deployed app never imports the local runtime, the emulator, the simulator, npm start, the bench or the tests: ' +
        'they do not ship (docs/deploy.md).',
      severity: 'error',
      // One exception: `aml-rollout evaluate --scenario` reads a simulation scenario file (docs/scenario-format.md)
      // for the live version's behaviour and traffic, with the simulator's own parser so the format has one
      // definition. The CLI is an operator's tool run from a clone; it is not part of the Functions package.
      from: { path: PRODUCT, pathNot: '^src/cli/evaluate\\.ts$' },
      to: { path: HARNESS },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes the layers meaningless and the load order fragile.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    skipAnalysisNotInRules: true,
  },
};
