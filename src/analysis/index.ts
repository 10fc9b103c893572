/**
 * Public API of the gate analysis module (pure; safe inside orchestrations).
 *
 * One look of a gate, as the orchestrator / activities use it:
 *   const window = checkWindow(nowMs, spec);
 *   const queries = buildGateQueries(spec, { endpoint, baseline, candidate, window });
 *   // run each query through MetricsSource; a failed or partial query is an error (GateTally), not data
 *   const result = evaluateGate(spec, { traffic, custom }, { candidate, baseline, window, look, checkedAtMs: nowMs });
 *   const { tally, action } = updateGateTally(tally, { kind: 'verdict', verdict: result.verdict }, limits);
 */
export * from './types';
export { kqlString, kqlStringList, kqlIdentifier, kqlDatetime, kqlNumber, kqlTimespan, fillKqlTemplate, kqlTemplatePlaceholders, KQL_PLACEHOLDERS } from './kql';
export type { KqlPlaceholder, KqlTemplateValues } from './kql';
export {
  buildGateQueries,
  buildTrafficQuery,
  buildCustomMetricQuery,
  customMetricsInUse,
  customQueryId,
  TRAFFIC_QUERY_ID,
  TRAFFIC_TABLE,
  TRAFFIC_COLUMNS,
  CUSTOM_METRIC_COLUMNS,
  MAX_LATENCY_SAMPLES,
} from './queries';
export type { GateQuery, GateQueryTarget } from './queries';
export type { AnalysisRow, GateRows } from './rows';
export { gateSpecProblems, validateGateSpec, metricKind } from './spec';
export { evaluateGate } from './evaluate';
export type { EvaluateGateContext } from './evaluate';
export { alphaForLook, spentAlpha, OVERTIME_ALPHA_SHARE, SPENDING_FUNCTIONS, DEFAULT_SPENDING_FUNCTION } from './sequential';
export type { SpendingFunction, SequentialLook } from './sequential';
export { checkWindow, firstFullWindowAtMs } from './window';
export type { CheckWindow } from './window';
export { updateGateTally, EMPTY_GATE_TALLY, DEFAULT_MAX_CONSECUTIVE_ERRORS } from './tally';
export type { GateTally, GateTallyLimits, GateTallyStep, GateObservation, GateNextAction, GateNoDataOutcome, UpdateGateTallyOptions } from './tally';
export { summarizeGateResult, formatMetricValue } from './summary';
export { decideWinner } from './winner';
export type { WinnerDecision, Winner, ArmComparison, ArmDirection, DecideWinnerContext } from './winner';
export type { GateSpecCheckOptions } from './spec';
export { decideAdaptiveBake, adaptiveBakeProblems, adaptivePlannedLooks } from './adaptive-bake';
export type { AdaptiveBakeSettings, AdaptiveBakeInput, AdaptiveBakeDecision, ArmCounts, NonInferiorityMargins, NonInferiorityEvidence } from './adaptive-bake';
