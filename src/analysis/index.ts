/**
 * Public API of the gate analysis module (pure; safe inside orchestrations).
 *
 * One look of a gate, as the orchestrator / activities use it:
 *   const window = checkWindow(nowMs, spec);
 *   const queries = buildGateQueries(spec, { endpoint, baseline, candidate, window });
 *   // run each query through MetricsSource; a failed or partial query is an error (GateTally), not data
 *   const result = evaluateGate(spec, { traffic, custom }, { candidate, baseline, window, look, checkedAtMs: nowMs });
 */
export * from './types';
export { buildGateQueries } from './queries';
export { evaluateGate } from './evaluate';
export { checkWindow } from './window';
export { summarizeGateResult } from './summary';
