/**
 * Text rendering for the CLI: tables, the status view and the live `watch` frame (phase, step i/n,
 * a traffic bar per deployment, gate verdicts with their numbers), in the spirit of
 * `kubectl argo rollouts get rollout --watch`.
 */
import type { z } from 'zod';
import type { RolloutSummary } from '../api/status-view';
import type { rolloutDetailSchema, rolloutEvidenceSchema } from '../api/schemas';
import type { Immutable } from '../analysis/immutable';
import { agreementHeadline, describeAgreement, describeEvidence, evidenceDetail } from '../analysis/describe';
import { describeJournalDropped, describeStepStatus, describeWait, formatSplit, stepPosition } from '../plan/describe';
import { formatDuration } from '../plan/time-spent';
import { isPhase, PHASE_TABLE, type PhaseTone } from '../plan/phases';
import { formatEvidenceNumber } from '../analysis/describe';

/** GET /api/rollouts/{id}, as the API's schema defines it (the client parses every answer with it). */
export type RolloutDetailBody = Immutable<z.output<typeof rolloutDetailSchema>>;

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  color(s: string, tone: PhaseTone): string;
}

export const plainStyle: Style = { bold: (s) => s, dim: (s) => s, color: (s) => s };

export const ansiStyle: Style = {
  bold: (s) => `\u001b[1m${s}\u001b[22m`,
  dim: (s) => `\u001b[2m${s}\u001b[22m`,
  color: (s, tone) => `\u001b[${{ good: 32, bad: 31, warn: 33, info: 36 }[tone]}m${s}\u001b[39m`,
};

/** The phase table's tone (src/plan/phases.ts, the dashboard's colours too); a phase this CLI does not know is plain info. */
function phaseTone(phase: string): PhaseTone {
  return isPhase(phase) ? PHASE_TABLE[phase].tone : 'info';
}

/** Longest cell of a list column: one 5,000-character model name must not push every row off the screen. */
export const MAX_CELL_WIDTH = 40;

/** `text`, or its first `max - 1` characters and an ellipsis (by code point, so no half emoji). */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * Columns padded to their longest cell, each cell cut to MAX_CELL_WIDTH characters with an
 * ellipsis, except the columns listed in `uncut` (values the reader copies into other commands).
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], uncut: readonly number[] = []): string {
  const cut = rows.map((row) => row.map((cell, i) => (uncut.includes(i) ? cell : truncate(cell, MAX_CELL_WIDTH))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cut.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...c].length)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cut.map(line)].join('\n');
}

/** The rollout id is never cut (it is what the other commands take); other cells are, see `table`. */
export function renderList(items: readonly RolloutSummary[]): string {
  if (items.length === 0) return 'No rollouts.';
  return table(
    ['ROLLOUT', 'MODEL', 'ENDPOINT', 'PHASE', 'STEP', 'TRAFFIC', 'WAITING', 'UPDATED'],
    items.map((i) => [
      i.rolloutId,
      `${i.model ?? '?'}:${i.version ?? '?'}`,
      i.endpoint ?? '-',
      i.phase,
      i.step ? stepPosition(i.step) : '-',
      i.traffic
        ? formatSplit(i.traffic) + (i.mirror && formatSplit(i.mirror) !== 'none' ? ` (mirrored: ${formatSplit(i.mirror)})` : '')
        : '-',
      i.waitingFor ?? '-',
      i.updatedAt,
    ]),
    [0],
  );
}

/** One bar per deployment: `blue  ██████████████████░░  90%`. */
function trafficBars(traffic: Readonly<Record<string, number>>, mirror: Readonly<Record<string, number>>, width = 30): string[] {
  const names = [...new Set([...Object.keys(traffic), ...Object.keys(mirror)])];
  const pad = Math.max(8, ...names.map((n) => n.length));
  return names.map((name) => {
    const percent = Math.max(0, Math.min(100, traffic[name] ?? 0));
    const filled = Math.round((percent / 100) * width);
    const mirrored = mirror[name] ? `  (+${mirror[name]}% mirrored)` : '';
    return `${name.padEnd(pad)}  ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${String(percent).padStart(3)}%${mirrored}`;
  });
}

function ago(fromMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - fromMs) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes}m` : `${Math.round(minutes / 60)}h`;
}

export function renderStatus(detail: RolloutDetailBody, style: Style = plainStyle, options: { history?: number } = {}): string {
  const s = detail.status;
  const lines: string[] = [];
  lines.push(`${style.bold('Rollout')}:   ${detail.rolloutId}`);
  lines.push(
    `${style.bold('Phase')}:     ${style.color(detail.phase, phaseTone(detail.phase))}${s?.paused ? style.color(' (paused)', 'warn') : ''}  ${style.dim(`[${detail.runtimeStatus}]`)}`,
  );
  if (!s) {
    lines.push(style.dim('The orchestrator has not published a status yet.'));
    return lines.join('\n');
  }
  lines.push(
    `${style.bold('Model')}:     ${s.model} version ${s.version}   ${style.bold('Endpoint')}: ${s.endpoint}   ${style.bold('Policy')}: ${s.policy} (${s.strategy})`,
  );
  lines.push(`${style.bold('Step')}:      ${describeStepStatus(s.step)}`);
  const waiting = describeWait(s);
  if (waiting !== undefined)
    lines.push(`${style.bold('Waiting')}:   ${style.color(waiting, s.waitingFor?.kind === 'approval' ? 'warn' : 'info')}`);
  if (s.outcome)
    lines.push(
      `${style.bold('Outcome')}:   ${style.color(s.outcome, s.outcome === 'promoted' ? 'good' : 'bad')}${s.reason ? ` - ${s.reason}` : ''}`,
    );
  else if (s.reason) lines.push(`${style.bold('Reason')}:    ${s.reason}`);
  // What the API accepts now (its own rule, served with the detail); nothing when the rollout has ended.
  if (detail.allowedActions.length > 0) lines.push(`${style.bold('Actions')}:   ${detail.allowedActions.join(', ')}`);
  if (s.rolloutCost) lines.push(`${style.bold('Cost')}:      ${s.rolloutCost.summary}`);
  lines.push('', style.bold('Traffic'));
  lines.push(...trafficBars(s.traffic, s.mirror).map((l) => `  ${l}`));
  if (s.gates.length > 0) {
    lines.push('', style.bold('Gates'));
    for (const gate of s.gates.slice(-5)) {
      lines.push(
        `  ${style.color(gate.verdict.toUpperCase().padEnd(12), gate.verdict === 'pass' ? 'good' : gate.verdict === 'fail' ? 'bad' : 'warn')} ${gate.gate} (look ${gate.look}, ${new Date(gate.checkedAtMs).toISOString()}): ${gate.reason}`,
      );
      for (const evidence of gate.evidence) {
        lines.push(`      ${describeEvidence(evidence)}`);
        const detail = evidenceDetail(evidence);
        if (detail !== undefined) lines.push(style.dim(`        ${detail}`));
      }
    }
  }
  if (s.predictionAgreement) {
    const look = s.predictionAgreement;
    lines.push('', style.bold('Prediction agreement'));
    lines.push(
      `  ${style.color(look.verdict.toUpperCase().padEnd(12), look.verdict === 'pass' ? 'good' : look.verdict === 'fail' ? 'bad' : 'warn')} ${agreementHeadline(look)}`,
    );
    if (look.agreement) lines.push(...describeAgreement(look.agreement).map((line) => `      ${line}`));
  }
  if (s.approvals.length > 0 || s.overrides.length > 0) {
    lines.push('', style.bold('Decisions'));
    for (const a of s.approvals)
      lines.push(
        `  ${a.decision} by ${a.by} at step ${a.step + 1}${a.comment ? ` "${a.comment}"` : ''}${a.accepted ? '' : style.dim(` (not acted upon${a.note ? `: ${a.note}` : ''})`)}`,
      );
    for (const o of s.overrides) lines.push(`  ${o.action} by ${o.by} at step ${o.step + 1}${o.comment ? ` "${o.comment}"` : ''}`);
  }
  const spent = detail.timeSpent ?? [];
  if (spent.length > 0) {
    lines.push('', style.bold('Time spent'));
    const pad = Math.max(...spent.map((t) => t.label.length));
    for (const t of spent) lines.push(`  ${t.label.padEnd(pad)}  ${formatDuration(t.ms)}`);
  }
  const historyCount = options.history ?? 8;
  if (historyCount > 0 && detail.history.length > 0) {
    lines.push('', style.bold('History'));
    // The size limit drops the oldest entries: say so above the oldest one shown.
    const dropped = describeJournalDropped(s.journalDropped);
    if (dropped !== undefined) lines.push(style.dim(`  ${dropped}`));
    for (const h of detail.history.slice(-historyCount)) lines.push(`  ${style.dim(h.at)} ${h.text}`);
  }
  lines.push(
    '',
    style.dim(`started ${ago(s.startedAtMs, s.updatedAtMs)} before the last update (${new Date(s.updatedAtMs).toISOString()})`),
  );
  return lines.join('\n');
}

/** GET /api/rollouts/{id}/evidence, as the API's schema defines it. */
type RolloutEvidenceBody = Immutable<z.output<typeof rolloutEvidenceSchema>>;

function range(low: number | undefined, high: number | undefined): string {
  if (low === undefined && high === undefined) return '';
  if (low === undefined) return `<= ${formatEvidenceNumber(high ?? null)}`;
  if (high === undefined) return `>= ${formatEvidenceNumber(low)}`;
  return `${formatEvidenceNumber(low)}..${formatEvidenceNumber(high)}`;
}

/** `status --evidence`: per gate and check, one row per kept look (what the dashboard charts). */
export function renderEvidence(evidence: RolloutEvidenceBody, style: Style = plainStyle): string {
  if (evidence.gates.length === 0) return style.dim('No gate has been checked yet.');
  const sections: string[] = [];
  for (const gate of evidence.gates) {
    const thinned =
      gate.recorded > gate.kept
        ? ` (${gate.kept} of ${gate.recorded} looks kept: first, latest and spread between)`
        : ` (${gate.recorded} look${gate.recorded === 1 ? '' : 's'})`;
    sections.push(style.bold(`Gate ${gate.gate}`) + style.dim(thinned));
    for (const check of gate.checks) {
      sections.push(`  ${style.bold(check.metric)}  threshold ${check.threshold}`);
      const rows = check.points.map((p) => [
        String(p.look),
        new Date(p.atMs).toISOString().slice(11, 16),
        p.verdict,
        formatEvidenceNumber(p.candidate),
        formatEvidenceNumber(p.baseline),
        range(p.allowed.min, p.allowed.max),
        range(p.confidence.lower, p.confidence.upper),
        p.pValue === undefined ? '' : formatEvidenceNumber(p.pValue),
        `${p.requests.candidate} / ${p.requests.baseline}`,
        `${p.traffic.candidate}% / ${p.traffic.baseline}%${p.traffic.mirroredToCandidate > 0 ? ` (+${p.traffic.mirroredToCandidate}% mirrored)` : ''}`,
      ]);
      const text = table(
        ['look', 'UTC', 'verdict', 'candidate', 'baseline', 'allowed', 'confidence', 'p', 'requests c / b', 'traffic c / b'],
        rows,
      );
      sections.push(...text.split('\n').map((line) => `    ${line}`));
    }
  }
  return sections.join('\n');
}
