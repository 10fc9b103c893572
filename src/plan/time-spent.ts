/**
 * Where a rollout's time went: deploying, smoke testing, mirroring, baking, analyzing, waiting for
 * approval, paused... The orchestrator ticks a small clock each time it publishes its status (the
 * one place every phase change becomes visible), so the totals survive the bounded journal and
 * continueAsNew; `timeSpent` adds the still-open interval for readers (API, CLI, dashboard).
 */
import { TIME_CATEGORIES, type Phase, type PhaseClock, type TimeCategory } from './types';

export { type PhaseClock, type TimeCategory } from './types';

/** Words for people (CLI, dashboard). */
const TIME_CATEGORY_LABEL: Readonly<Record<TimeCategory, string>> = {
  queued: 'queued / planning',
  deploying: 'deploying',
  smokeTesting: 'smoke testing',
  mirroring: 'mirroring',
  progressing: 'setting traffic',
  baking: 'baking',
  analyzing: 'analyzing',
  awaitingApproval: 'waiting for approval',
  promoting: 'promoting',
  paused: 'paused',
  failed: 'failed, waiting for an operator',
  rollingBack: 'rolling back',
};

const PHASE_CATEGORY: Readonly<Record<Phase, TimeCategory | undefined>> = {
  Pending: 'queued',
  Deploying: 'deploying',
  SmokeTesting: 'smokeTesting',
  Mirroring: 'mirroring',
  Progressing: 'progressing',
  Baking: 'baking',
  Analyzing: 'analyzing',
  AwaitingApproval: 'awaitingApproval',
  Paused: 'paused',
  Promoting: 'promoting',
  RollingBack: 'rollingBack',
  Failed: 'failed',
  // An ended rollout spends no more time.
  Promoted: undefined,
  RolledBack: undefined,
  Rejected: undefined,
  Aborted: undefined,
  Superseded: undefined,
};

/** Time is counted as paused whatever phase the pause interrupted (the step's clock stops too). */
export function timeCategoryOf(phase: Phase, paused: boolean): TimeCategory | undefined {
  const category = PHASE_CATEGORY[phase];
  return category !== undefined && paused ? 'paused' : category;
}

function add(spent: PhaseClock['spentMs'], category: TimeCategory | undefined, ms: number): PhaseClock['spentMs'] {
  if (category === undefined || ms <= 0) return spent;
  return { ...spent, [category]: (spent[category] ?? 0) + ms };
}

/** Closes the interval since the last tick (under what it counted as) and opens one for the phase now. */
export function tickPhaseClock(clock: PhaseClock | undefined, phase: Phase, paused: boolean, nowMs: number): PhaseClock {
  const spent = clock ? add(clock.spentMs, clock.counting, nowMs - clock.sinceMs) : {};
  const counting = timeCategoryOf(phase, paused);
  return { ...(counting === undefined ? {} : { counting }), sinceMs: nowMs, spentMs: spent };
}

export interface TimeSpent {
  readonly category: TimeCategory;
  readonly label: string;
  readonly ms: number;
}

/** Totals per category (the open interval counted up to `nowMs`), in TIME_CATEGORIES order, zeros left out. */
export function timeSpent(clock: PhaseClock | undefined, nowMs: number): TimeSpent[] {
  if (!clock) return [];
  const spent = add(clock.spentMs, clock.counting, nowMs - clock.sinceMs);
  return TIME_CATEGORIES.filter((c) => (spent[c] ?? 0) > 0).map((category) => ({
    category,
    label: TIME_CATEGORY_LABEL[category],
    ms: spent[category] ?? 0,
  }));
}

/** `1 h 05 min`, `12 min`, `40 s`: durations as people read them. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
