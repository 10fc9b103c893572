/**
 * The engine's machines by name: a frame on the cursor names its machine here (engine.ts runs
 * them). Each machine file exports its frames' builders; the execution-level machines are
 * engine.ts's own.
 */
import type { GeneratorMachine, Machine } from './engine-io';
import { effectsMachines } from './engine-effects';
import { applyControls, waitFor, type ApplyControlsFrame, type WaitForFrame } from './wait-machine';
import { runStep, type RunStepFrame } from './step-machine';
import { rollbackMachines } from './rollback-machine';

/** A machine, or (during the conversion) a machine still written as a generator. */
export type MachineEntry = Machine<never> | GeneratorMachine;

export const MACHINES: Readonly<Record<string, MachineEntry>> = {
  ...effectsMachines,
  applyControls: { generator: (io, state, frame) => applyControls(io, state, (frame as ApplyControlsFrame).raw) },
  waitFor: {
    generator: (io, state, frame) => waitFor(io, state, (frame as WaitForFrame).untilMs, { approval: (frame as WaitForFrame).approval }),
  },
  runStep: { generator: (io, state, frame) => runStep(io, state, (frame as RunStepFrame).step) },
  ...rollbackMachines,
};
