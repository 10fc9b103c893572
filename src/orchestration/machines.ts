/**
 * The engine's machines by name: a frame on the cursor names its machine here (engine.ts runs
 * them). Each machine file exports its machines and the builders of the frames others push.
 */
import type { Machine } from './engine-io';
import { effectsMachines } from './engine-effects';
import { waitMachines } from './wait-machine';
import { stepMachines } from './step-machine';
import { rollbackMachines } from './rollback-machine';
import { executionMachines } from './execution-machine';

/** Any machine (each reads its own frame type; the driver hands it only frames naming it). */
export type MachineEntry = Machine<never>;

export const MACHINES: Readonly<Record<string, MachineEntry>> = {
  ...effectsMachines,
  ...waitMachines,
  ...stepMachines,
  ...rollbackMachines,
  ...executionMachines,
};
