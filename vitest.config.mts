import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Azure contract run talks to a real subscription: only on request (docs/azure-adapters.md).
    exclude: [...configDefaults.exclude, ...(process.env.AML_ROLLOUT_CONTRACT_AZURE === '1' ? [] : ['test/azure/contract-azure.test.ts'])],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
