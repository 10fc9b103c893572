/**
 * The engine's machines by name: a frame on the cursor names its machine here (engine.ts runs
 * them). Each machine file exports its frames' builders; the execution-level machines are
 * engine.ts's own.
 */
import type { Machine } from './engine-io';
import { effectsMachines } from './engine-effects';
import { waitMachines } from './wait-machine';
import { stepMachines } from './step-machine';
import { rollbackMachines } from './rollback-machine';

/** Any machine (each reads its own frame type; the driver hands it only frames naming it). */
export type MachineEntry = Machine<never>;

export const MACHINES: Readonly<Record<string, MachineEntry>> = {
  ...effectsMachines,
  ...waitMachines,
  ...stepMachines,
  ...rollbackMachines,
};
