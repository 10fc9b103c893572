/** The plan: compiling a policy into steps, the phase table, the safety invariants, descriptions. */
export * from './types';
export { compilePlan, AB_COMPARE_GATE, ABSOLUTE_GATE_SUFFIX, MAX_DEPLOYMENTS_PER_ENDPOINT, type CompilePlanInput } from './compile';
export { TRANSITIONS, STEP_PHASE, TERMINAL_PHASES, WORKING_PHASES, canTransition, assertTransition, isTerminalPhase, isPhase, phaseOfStep } from './phases';
export { checkTrafficChange, checkDeletion, assertTrafficChange, assertDeletion, type DeploymentFacts, type TrafficChange, type Deletion } from './invariants';
export { describeStep, describePlan, formatSplit, formatTraffic, stepStatus, stepPosition, describeStepStatus, describeWait, clockTime, decidingPValue } from './describe';
export { sanitizeDeploymentName, renderDeploymentName, chooseCandidateName, isValidDeploymentName } from './deployment-name';
