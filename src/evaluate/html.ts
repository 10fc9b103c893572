/**
 * The evaluation as a self-contained HTML page with inline SVG plots (no script, no network: it
 * opens offline and in any browser): a power curve by regression size, the time-to-decision
 * distribution per case, and the blast radius per regression, above the table of numbers.
 * Hand-written SVG because the three plots are a few rectangles and lines each; a charting
 * library would add a bundle and a script to a page that needs neither.
 */
import type { CaseResult, EvaluationReport } from './evaluate';
import { quantileOf } from './evaluate';
import { describeBehaviour, describeProfile } from './model';
import { rateText } from './report';
import { fixedDecimals, trimmedDecimals } from '../analysis/number-format';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bc4c00'];
const W = 560;
const H = 300;
const M = { left: 56, right: 16, top: 28, bottom: 44 };

function frame(title: string, body: string, xLabel: string, yLabel: string, id: string): string {
  return `<figure id="${id}"><svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">
<text x="${W / 2}" y="16" text-anchor="middle" class="title">${esc(title)}</text>
${body}
<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle" class="axis">${esc(xLabel)}</text>
<text transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle" class="axis">${esc(yLabel)}</text>
</svg></figure>`;
}

function yAxis(ticks: readonly { v: number; label: string }[], y: (v: number) => number): string {
  return ticks
    .map(
      (t) =>
        `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t.v)}" y2="${y(t.v)}" class="grid"/><text x="${M.left - 6}" y="${y(t.v) + 4}" text-anchor="end" class="tick">${esc(t.label)}</text>`,
    )
    .join('\n');
}

/** Detection rate by regression size, one line per kind (errors x, latency +%), 95% intervals as whiskers. */
function powerCurve(cases: readonly CaseResult[]): string {
  const healthy = cases.find((c) => !c.regression);
  const series = [
    {
      name: 'error rate x',
      points: cases
        .filter((c) => c.regression?.kind === 'errorRate')
        .map((c) => ({ x: c.regression?.kind === 'errorRate' ? c.regression.factor : 1, c })),
    },
    {
      name: 'latency x',
      points: cases
        .filter((c) => c.regression?.kind === 'latency')
        .map((c) => ({ x: c.regression?.kind === 'latency' ? 1 + c.regression.increase : 1, c })),
    },
  ].filter((s) => s.points.length > 0);
  for (const s of series) if (healthy) s.points.unshift({ x: 1, c: healthy });
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xMax = Math.max(1.5, ...xs);
  const x = (v: number) => M.left + ((v - 1) / (xMax - 1)) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - v * (H - M.top - M.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((v) => ({ v, label: `${v * 100}%` }));
  const xTicks = [...new Set(xs)]
    .sort((a, b) => a - b)
    .map((v) => `<text x="${x(v)}" y="${H - M.bottom + 16}" text-anchor="middle" class="tick">x${trimmedDecimals(v, 2)}</text>`)
    .join('');
  const lines = series
    .map((s, i) => {
      const color = COLORS[i % COLORS.length] as string;
      const pts = s.points.sort((a, b) => a.x - b.x);
      const path = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.c.rolledBack.value).toFixed(1)}`).join(' ');
      const marks = pts
        .map(
          (p) =>
            `<line x1="${x(p.x)}" x2="${x(p.x)}" y1="${y(p.c.rolledBack.low)}" y2="${y(p.c.rolledBack.high)}" stroke="${color}"/><circle cx="${x(p.x)}" cy="${y(p.c.rolledBack.value)}" r="4" fill="${color}"><title>${esc(`${p.c.case}: rolled back ${rateText(p.c.rolledBack)}`)}</title></circle>`,
        )
        .join('');
      return `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>${marks}<text x="${W - M.right - 4}" y="${M.top + 14 + i * 16}" text-anchor="end" style="fill:${color}" class="legend">${esc(s.name)}</text>`;
    })
    .join('\n');
  return frame(
    'Rolled back, by regression size (x1 = healthy: false rollbacks)',
    `${yAxis(ticks, y)}${xTicks}${lines}`,
    'candidate vs live (error rate factor, latency factor)',
    'rolled back',
    'power-curve',
  );
}

/** Box plot of minutes to decision per case (whiskers p10-p90, box p25-p75, line at the median). */
function decisionTimes(cases: readonly CaseResult[]): string {
  const maxMinute = Math.max(10, ...cases.flatMap((c) => c.decisionMinutes));
  const rowH = (H - M.top - M.bottom) / Math.max(1, cases.length);
  const left = 120;
  const x = (v: number) => left + (v / maxMinute) * (W - left - M.right);
  const step = maxMinute > 240 ? 60 : maxMinute > 60 ? 30 : 10;
  const ticks: string[] = [];
  for (let v = 0; v <= maxMinute; v += step)
    ticks.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${M.top}" y2="${H - M.bottom}" class="grid"/><text x="${x(v)}" y="${H - M.bottom + 16}" text-anchor="middle" class="tick">${v}</text>`,
    );
  const rows = cases
    .map((c, i) => {
      const cy = M.top + rowH * (i + 0.5);
      const q = (p: number) => x(quantileOf(c.decisionMinutes, p));
      const color = c.regression ? '#d1242f' : '#1a7f37';
      const h = Math.min(14, rowH * 0.6);
      return `<text x="${left - 6}" y="${cy + 4}" text-anchor="end" class="tick">${esc(c.case)}</text>
<line x1="${q(0.1)}" x2="${q(0.9)}" y1="${cy}" y2="${cy}" stroke="${color}"/>
<rect x="${q(0.25)}" y="${cy - h / 2}" width="${Math.max(1, q(0.75) - q(0.25))}" height="${h}" fill="${color}" fill-opacity="0.25" stroke="${color}"/>
<line x1="${q(0.5)}" x2="${q(0.5)}" y1="${cy - h / 2}" y2="${cy + h / 2}" stroke="${color}" stroke-width="3"><title>${esc(`${c.case}: median ${c.timeToDecision.median} min, p90 ${c.timeToDecision.p90} min`)}</title></line>`;
    })
    .join('\n');
  return frame(
    'Minutes to decision (box p25-p75, whiskers p10-p90)',
    `${ticks.join('')}${rows}`,
    'minutes from the candidate being ready',
    '',
    'decision-times',
  );
}

/** Users' requests and errors a bad version served before it was stopped (median bar, p90 whisker). */
function blastRadius(cases: readonly CaseResult[]): string {
  const bad = cases.filter((c) => c.regression);
  const max = Math.max(1, ...bad.map((c) => c.blastRequests.p90));
  const rowH = (H - M.top - M.bottom) / Math.max(1, bad.length);
  const left = 120;
  const x = (v: number) => left + (v / max) * (W - left - M.right);
  const rows = bad
    .map((c, i) => {
      const top = M.top + rowH * i + rowH * 0.15;
      const h = rowH * 0.3;
      return `<text x="${left - 6}" y="${top + h + 4}" text-anchor="end" class="tick">${esc(c.case)}</text>
<rect x="${left}" y="${top}" width="${Math.max(0, x(c.blastRequests.median) - left)}" height="${h}" fill="#1f6feb"><title>${esc(`requests: median ${c.blastRequests.median}, p90 ${c.blastRequests.p90}`)}</title></rect>
<line x1="${x(c.blastRequests.median)}" x2="${x(c.blastRequests.p90)}" y1="${top + h / 2}" y2="${top + h / 2}" stroke="#1f6feb"/>
<rect x="${left}" y="${top + h}" width="${Math.max(0, x(c.blastFailures.median) - left)}" height="${h}" fill="#d1242f"><title>${esc(`errors: median ${c.blastFailures.median}, p90 ${c.blastFailures.p90}`)}</title></rect>
<line x1="${x(c.blastFailures.median)}" x2="${x(c.blastFailures.p90)}" y1="${top + h * 1.5}" y2="${top + h * 1.5}" stroke="#d1242f"/>`;
    })
    .join('\n');
  const legend = `<text x="${W - M.right}" y="${M.top - 6}" text-anchor="end" class="legend"><tspan style="fill:#1f6feb">requests</tspan> <tspan style="fill:#d1242f">errors</tspan></text>`;
  return frame(
    "Blast radius: users' requests the bad version served",
    `${legend}${rows}<text x="${left}" y="${H - M.bottom + 16}" class="tick">0</text><text x="${W - M.right}" y="${H - M.bottom + 16}" text-anchor="end" class="tick">${max}</text>`,
    'requests (median bar, p90 whisker)',
    '',
    'blast-radius',
  );
}

function tableOf(cases: readonly CaseResult[]): string {
  const head = [
    'case',
    'judge',
    'schedule',
    'outcome (95% CI)',
    'decision min median / p90',
    'promote min median / p90',
    'blast requests / errors (median)',
    'queries/run',
  ];
  const rows = cases.map((c) =>
    [
      c.case,
      c.judge,
      c.schedule,
      c.regression ? `caught ${rateText(c.rolledBack)}` : `promoted ${rateText(c.promoted)}`,
      `${c.timeToDecision.median} / ${c.timeToDecision.p90}`,
      c.timeToPromote ? `${c.timeToPromote.median} / ${c.timeToPromote.p90}` : '-',
      c.regression ? `${c.blastRequests.median} / ${c.blastFailures.median}` : '-',
      fixedDecimals(c.queriesPerRun),
    ]
      .map((v) => `<td>${esc(v)}</td>`)
      .join(''),
  );
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r}</tr>`).join('\n')}</tbody></table>`;
}

export function renderHtml(report: EvaluationReport): string {
  // Plots show the first judge and schedule (this project's judge on the policy's schedule); the table shows all.
  const first = report.cases[0];
  const main = report.cases.filter((c) => c.judge === first?.judge && c.schedule === first?.schedule);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(`Evaluation of ${report.policy}`)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1f2328; }
h1 { font-size: 20px; } .plots { display: flex; flex-wrap: wrap; gap: 16px; } figure { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; }
svg text { font: 12px system-ui, sans-serif; fill: #1f2328; } svg .title { font-weight: 600; } svg .tick { fill: #57606a; font-size: 11px; }
svg .grid { stroke: #eaeef2; } table { border-collapse: collapse; margin-top: 16px; } td, th { border: 1px solid #d0d7de; padding: 4px 8px; text-align: right; } td:first-child, th:first-child { text-align: left; }
</style></head>
<body>
<h1>${esc(`Policy ${report.policy} (${report.strategy})`)}</h1>
<p>${esc(`${report.runs} simulated rollouts per case (seed ${report.seed}); traffic ${describeProfile(report.traffic)}; live version ${describeBehaviour(report.live)}.`)}</p>
<div class="plots">
${powerCurve(main)}
${decisionTimes(main)}
${blastRadius(main)}
</div>
${tableOf(report.cases)}
</body></html>
`;
}
