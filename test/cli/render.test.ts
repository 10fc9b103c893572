import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CELL_WIDTH, table, truncate } from '../../src/cli/render';

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
          expect([...line].slice(idWidth + 2).join('').startsWith(name.trimEnd())).toBe(true);
        }
      }),
      { seed: 13, numRuns: 200 },
    );
  });
});
