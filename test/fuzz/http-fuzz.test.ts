/**
 * The HTTP fuzz pass with the small budget of `npm test` (the chaos runner calls runHttpFuzz with
 * a large one). A failure prints fast-check's seed, path and shrunk request: add it to the
 * table-driven tests of the route it broke.
 */
import { describe, expect, it } from 'vitest';
import { runHttpFuzz } from './http-fuzz';

describe('HTTP fuzz: every route and both webhooks, hostile input', () => {
  it('never a 5xx, never a crash or hang, never a rollout started by invalid input (seeded, bounded)', async () => {
    const report = await runHttpFuzz({ runs: 60, seed: 20261204 });
    expect(report.requests).toBeGreaterThanOrEqual(60);
    // The budget reaches the routes (so a green run means they were exercised).
    expect(Object.keys(report.byRoute).length).toBeGreaterThanOrEqual(8);
    expect(Object.keys(report.byStatus).every((status) => Number(status) < 500)).toBe(true);
  }, 120_000);
});
