/**
 * The engine's machines by name: a frame on the cursor names its machine here (engine.ts runs
 * them). Each machine file exports its frames' builders; the execution-level machines are
 * engine.ts's own.
 */
import type { GeneratorMachine, Machine } from './engine-io';
import { apply, notify, resolveUnit, writeTraffic, type ApplyFrame, type NotifyFrame, type WriteTrafficFrame } from './engine-effects';
import { applyControls, waitFor, type ApplyControlsFrame, type WaitForFrame } from './wait-machine';
import { stepMachines } from './step-machine';
import { rollbackMachines } from './rollback-machine';

/** A machine, or (during the conversion) a machine still written as a generator. */
export type MachineEntry = Machine<never> | GeneratorMachine;

export const MACHINES: Readonly<Record<string, MachineEntry>> = {
  apply: { generator: (io, state, frame) => apply(io, state, (frame as ApplyFrame).happened) },
  notify: { generator: (io, state, frame) => notify(io, state, (frame as NotifyFrame).kind, (frame as NotifyFrame).extra) },
  writeTraffic: {
    generator: (io, state, frame) => writeTraffic(io, state, (frame as WriteTrafficFrame).traffic, (frame as WriteTrafficFrame).mirror),
  },
  resolveUnit: { generator: (io, state) => resolveUnit(io, state) },
  applyControls: { generator: (io, state, frame) => applyControls(io, state, (frame as ApplyControlsFrame).raw) },
  waitFor: {
    generator: (io, state, frame) => waitFor(io, state, (frame as WaitForFrame).untilMs, { approval: (frame as WaitForFrame).approval }),
  },
  ...stepMachines,
  ...rollbackMachines,
};
