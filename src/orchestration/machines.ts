/**
 * The engine's machines by name: a frame on the cursor names its machine here (engine.ts runs
 * them). Each machine file exports its frames' builders; the execution-level machines are
 * engine.ts's own.
 */
import type { GeneratorMachine, Machine } from './engine-io';
import { effectsMachines } from './engine-effects';
import { waitMachines } from './wait-machine';
import { stepMachines } from './step-machine';
import { rollbackMachines } from './rollback-machine';

/** A machine, or (during the conversion) a machine still written as a generator. */
export type MachineEntry = Machine<never> | GeneratorMachine;

export const MACHINES: Readonly<Record<string, MachineEntry>> = {
  ...effectsMachines,
  ...waitMachines,
  ...stepMachines,
  ...rollbackMachines,
};
