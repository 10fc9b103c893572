/**
 * Every phase change is decided by decide() (src/orchestration/decider.ts, docs/architecture.md
 * "The decider"): no other source file assigns a rollout status's `phase`. The engine's machines
 * hand what happened (a pause, a resume, an approval wait) to the decider instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '../../src');
const DECIDER = 'orchestration/decider.ts';

/** `x.phase = ...`, `x.phase ??= ...` (not `===` / `!==`), and `phase` written through a status spread or Object.assign. */
const PHASE_WRITE = /\.phase\s*(?:[?|&]{2})?=(?!=)|status\s*=\s*\{\s*\.\.\.[^}]*\bphase\s*:|Object\.assign\([^)]*status[^)]*\bphase\s*:/;

function phaseWrites(text: string): string[] {
  return text.split('\n').filter((line) => PHASE_WRITE.test(line));
}

function sourceFiles(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.split(path.sep).join('/'));
}

describe('the decider is the only writer of status.phase', () => {
  it('the pattern finds phase writes and leaves comparisons alone', () => {
    expect(phaseWrites('state.status.phase = phase;')).toHaveLength(1);
    expect(phaseWrites('  status.phase ??= "Pending";')).toHaveLength(1);
    expect(phaseWrites('state.status = { ...state.status, phase: "Paused" };')).toHaveLength(1);
    expect(phaseWrites('Object.assign(state.status, { phase: "Paused" });')).toHaveLength(1);
    expect(phaseWrites('if (state.status.phase === "Paused") return;')).toEqual([]);
    expect(phaseWrites('if (status.phase !== phase) assertTransition(status.phase, phase);')).toEqual([]);
  });

  it('decider.ts writes it, and no other file under src/ does', () => {
    const files = sourceFiles();
    expect(files).toContain(DECIDER);
    expect(phaseWrites(readFileSync(path.join(SRC, DECIDER), 'utf8')).length).toBeGreaterThan(0);
    const elsewhere = files
      .filter((file) => file !== DECIDER)
      .flatMap((file) => phaseWrites(readFileSync(path.join(SRC, file), 'utf8')).map((line) => `${file}: ${line.trim()}`));
    expect(elsewhere).toEqual([]);
  });
});
