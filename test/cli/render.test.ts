import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ansiStyle, MAX_CELL_WIDTH, renderEvidence, renderStatus, table, truncate, type RolloutDetailBody } from '../../src/cli/render';
import { rolloutDetail } from '../../src/api/rollouts';
import { rolloutDetailSchema } from '../../src/api/schemas';
import { PHASES, type Phase, type RolloutStatus } from '../../src/plan/types';
import { statusOf } from '../api/fakes';

describe('truncate', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly-10', 10, 'exactly-10'],
    ['eleven-long', 10, 'eleven-lo…'],
    ['😀😀😀', 2, '😀…'],
  ])('%s cut to %i = %s', (text, max, expected) => {
    expect(truncate(text, max)).toBe(expected);
  });
});

describe('table', () => {
  it('pads to the longest cell up to the cap; cells over it end in an ellipsis; uncut columns stay whole (fast-check)', () => {
    const cell = fc.string({ maxLength: 300 }).map((s) => s.replace(/[\n\r]/g, ' '));
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell, cell), { minLength: 1, maxLength: 8 }), (rows) => {
        const out = table(['ID', 'NAME', 'OTHER'], rows, [0]).split('\n');
        expect(out).toHaveLength(rows.length + 1);
        const idWidth = Math.max(2, ...rows.map((r) => [...r[0]].length));
        for (const [i, row] of rows.entries()) {
          const line = out[i + 1]!;
          expect(line.startsWith(row[0])).toBe(true);
          expect([...line].length).toBeLessThanOrEqual(idWidth + 2 + MAX_CELL_WIDTH + 2 + MAX_CELL_WIDTH);
          const name = truncate(row[1], MAX_CELL_WIDTH);
          expect(name.endsWith('…')).toBe([...row[1]].length > MAX_CELL_WIDTH);
          expect(
            [...line]
              .slice(idWidth + 2)
              .join('')
              .startsWith(name.trimEnd()),
          ).toBe(true);
        }
      }),
      { seed: 13, numRuns: 200 },
    );
  });
});

describe('renderEvidence (status --evidence)', () => {
  const point = (look: number, verdict: 'pass' | 'fail', candidate: number, mirrored: number) => ({
    look,
    atMs: Date.UTC(2026, 0, 5, 9, look * 5),
    verdict,
    candidate,
    baseline: 0.01,
    allowed: { max: 0.015 },
    confidence: { upper: candidate * 1.3 },
    pValue: 0.0021,
    requests: { candidate: 600, baseline: 5400 },
    traffic: { candidate: mirrored > 0 ? 0 : 10, baseline: mirrored > 0 ? 100 : 90, mirroredToCandidate: mirrored },
  });

  it('one row per kept look with the band, the bounds, the p-value and the split; says when looks were thinned', () => {
    const text = renderEvidence({
      rolloutId: 'r1',
      candidate: 'green',
      baseline: 'blue',
      looksPerGate: 12,
      gates: [
        {
          gate: 'health',
          recorded: 14,
          kept: 2,
          looks: [],
          checks: [
            {
              metric: 'failedRequestRate',
              threshold: '<= 1.5x baseline',
              points: [point(1, 'pass', 0.011, 20), point(2, 'fail', 0.03, 0)],
            },
          ],
        },
      ],
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Gate health (2 of 14 looks kept: first, latest and spread between)');
    expect(lines[1]).toBe('  failedRequestRate  threshold <= 1.5x baseline');
    expect(lines[3]).toMatch(
      /^ {4}1\s+09:05\s+pass\s+0\.011\s+0\.01\s+<= 0\.015\s+<= 0\.0143\s+0\.0021\s+600 \/ 5400\s+0% \/ 100% \(\+20% mirrored\)$/,
    );
    expect(lines[4]).toMatch(/^ {4}2\s+09:10\s+fail\s+0\.03\s+0\.01\s+<= 0\.015\s+<= 0\.039\s+0\.0021\s+600 \/ 5400\s+10% \/ 90%$/);
  });

  it('says so when no gate has been checked', () => {
    expect(renderEvidence({ rolloutId: 'r1', candidate: null, baseline: null, looksPerGate: 12, gates: [] })).toBe(
      'No gate has been checked yet.',
    );
  });
});

describe('status: what the API accepts now, and the journal entries the size limit left off', () => {
  const NOW = 1_700_000_060_000;
  const journal = Array.from({ length: 3 }, (_, i) => ({
    atMs: NOW - (3 - i) * 60_000,
    phase: 'Baking' as const,
    step: 3,
    message: `entry ${i + 1}`,
  }));
  /** The API's own detail body for a running rollout with this status. */
  const detailOf = (status: RolloutStatus): RolloutDetailBody =>
    rolloutDetailSchema.parse(
      rolloutDetail(
        {
          instanceId: status.rolloutId,
          name: 'rolloutOrchestrator',
          runtimeStatus: 'Running',
          createdTimeMs: status.startedAtMs,
          lastUpdatedTimeMs: status.updatedAtMs,
          input: {},
          customStatus: status,
          output: null,
        },
        NOW,
      ),
    );

  it.each([
    { dropped: undefined, note: undefined },
    { dropped: 1, note: '1 older entry not shown: the status is size-limited' },
    { dropped: 12, note: '12 older entries not shown: the status is size-limited' },
  ])('journalDropped $dropped', ({ dropped, note }) => {
    const text = renderStatus(detailOf(statusOf({ journal, ...(dropped === undefined ? {} : { journalDropped: dropped }) })));
    const history = text.split('\n').slice(text.split('\n').indexOf('History') + 1);
    if (note === undefined) expect(text).not.toContain('not shown');
    // Above the oldest entry shown (the dropped ones are older still).
    else expect(history.slice(0, 2)).toEqual([`  ${note}`, expect.stringMatching(/entry 1$/)]);
  });

  // The phase's colour is the phase table's tone (green good, red bad, yellow waiting for a person, cyan otherwise).
  const ANSI = { good: 32, bad: 31, warn: 33, info: 36 } as const;
  const TONE: Record<Phase, keyof typeof ANSI> = {
    Pending: 'info',
    Deploying: 'info',
    SmokeTesting: 'info',
    Mirroring: 'info',
    Progressing: 'info',
    Baking: 'info',
    Analyzing: 'info',
    AwaitingApproval: 'warn',
    Promoting: 'info',
    Paused: 'warn',
    RollingBack: 'bad',
    Failed: 'bad',
    Promoted: 'good',
    RolledBack: 'bad',
    Rejected: 'bad',
    Aborted: 'bad',
    Superseded: 'info',
  };
  it.each(PHASES.map((phase) => ({ phase, tone: TONE[phase] })))('$phase is shown $tone', ({ phase, tone }) => {
    const text = renderStatus(detailOf(statusOf({ phase, paused: phase === 'Paused' })), ansiStyle);
    expect(text).toContain(`\u001b[${ANSI[tone]}m${phase}\u001b[39m`);
  });

  it.each([
    { phase: 'Baking' as const, line: 'Actions:   abort, pause, promote' },
    { phase: 'Paused' as const, line: 'Actions:   abort, resume, promote' },
    { phase: 'Failed' as const, line: 'Actions:   abort, retry' },
    { phase: 'RollingBack' as const, line: undefined },
  ])('$phase: $line', ({ phase, line }) => {
    const text = renderStatus(detailOf(statusOf({ phase, paused: phase === 'Paused' })));
    if (line === undefined) expect(text).not.toMatch(/^Actions:/m);
    else expect(text.split('\n')).toContain(line);
  });
});
