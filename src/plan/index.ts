/** The plan: compiling a policy into steps, the phase table, the safety invariants, descriptions. */
export * from './types';
export { compilePlan, AB_COMPARE_GATE, ABSOLUTE_GATE_SUFFIX, MAX_DEPLOYMENTS_PER_ENDPOINT, type CompilePlanInput } from './compile';
export { PHASE_TABLE, OPERATOR_ACTIONS, TRANSITIONS, STEP_PHASE, TERMINAL_PHASES, WORKING_PHASES, actionAllowedIn, canTransition, assertTransition, isTerminalPhase, isPhase, phaseOfStep, type OperatorAction, type PhaseInfo, type PhaseMode, type PhaseTone } from './phases';
export { checkTrafficChange, checkDeletion, assertTrafficChange, assertDeletion, type DeploymentFacts, type TrafficChange, type Deletion } from './invariants';
export { describeStep, describePlan } from './describe';
export { sanitizeDeploymentName, renderDeploymentName, chooseCandidateName, isValidDeploymentName } from './deployment-name';
