// @ts-check
// Metric charts of the rollout detail view: for every check of every gate, the candidate's and the
// baseline's value at each look, the allowed band, each look's verdict, the confidence bounds, and
// the traffic split underneath on the same time axis. Plain SVG like the traffic chart in app.js:
// a dozen points per chart need no chart library, and the page has no build step or CDN.
// Reads GET /api/rollouts/{id}/evidence (docs/api.md, "Evidence history").
'use strict';

(function () {
  const NS = 'http://www.w3.org/2000/svg';
  const VERDICT_COLOR = { pass: '#1a7f37', fail: '#cf222e', inconclusive: '#9a6700' };
  const W = 760,
    L = 56,
    R = 14,
    TOP = 34,
    PLOT_H = 150,
    GAP = 26,
    STRIP_H = 44,
    BOTTOM = 22;
  const H = TOP + PLOT_H + GAP + STRIP_H + BOTTOM;

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    for (const child of children)
      if (child !== undefined && child !== null) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  function html(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, String(v));
    }
    for (const child of children) if (child !== undefined && child !== null) node.append(child);
    return node;
  }

  /** Three significant digits, as the API's evidence lines (src/analysis/describe.ts). */
  function num(value) {
    if (value === null || value === undefined) return 'n/a';
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
  }

  function hhmm(ms) {
    return new Date(ms).toISOString().slice(11, 16);
  }

  function bandText(allowed) {
    if (allowed.min !== undefined && allowed.max !== undefined) return num(allowed.min) + ' to ' + num(allowed.max);
    if (allowed.max !== undefined) return '\u2264 ' + num(allowed.max);
    if (allowed.min !== undefined) return '\u2265 ' + num(allowed.min);
    return 'none';
  }

  /** What a person reads on hovering a look (and what a screen reader reads for it). */
  function describePoint(metric, p) {
    const parts = [
      'look ' + p.look + ' at ' + hhmm(p.atMs) + ' UTC: ' + p.verdict.toUpperCase(),
      metric + ': candidate ' + num(p.candidate) + ' vs baseline ' + num(p.baseline),
      'allowed ' + bandText(p.allowed),
    ];
    if (p.confidence.lower !== undefined || p.confidence.upper !== undefined)
      parts.push(
        'confidence bounds ' +
          (p.confidence.lower !== undefined ? num(p.confidence.lower) : '') +
          '..' +
          (p.confidence.upper !== undefined ? num(p.confidence.upper) : ''),
      );
    if (p.pValue !== undefined) parts.push('deciding p = ' + num(p.pValue));
    parts.push('requests ' + p.requests.candidate + ' / ' + p.requests.baseline);
    parts.push(
      'traffic candidate ' +
        p.traffic.candidate +
        '%, baseline ' +
        p.traffic.baseline +
        '%' +
        (p.traffic.mirroredToCandidate ? ', mirrored to candidate ' + p.traffic.mirroredToCandidate + '%' : ''),
    );
    return parts.join('; ');
  }

  /** The verdict mark: a shape per verdict (not color alone): pass a dot, fail a cross, inconclusive a hollow diamond. */
  function marker(x, y, verdict) {
    const color = VERDICT_COLOR[verdict] || '#59636e';
    if (verdict === 'fail') {
      return svg('path', {
        d: 'M' + (x - 5) + ',' + (y - 5) + 'L' + (x + 5) + ',' + (y + 5) + 'M' + (x - 5) + ',' + (y + 5) + 'L' + (x + 5) + ',' + (y - 5),
        stroke: color,
        'stroke-width': 3,
        fill: 'none',
      });
    }
    if (verdict === 'inconclusive') {
      return svg('path', {
        d: 'M' + x + ',' + (y - 6) + 'L' + (x + 6) + ',' + y + 'L' + x + ',' + (y + 6) + 'L' + (x - 6) + ',' + y + 'Z',
        stroke: color,
        'stroke-width': 2,
        fill: '#fff',
      });
    }
    return svg('circle', { cx: x, cy: y, r: 5, fill: color, stroke: '#fff', 'stroke-width': 1.5 });
  }

  function linePath(points, value, x, y) {
    let d = '';
    for (const p of points) {
      const v = value(p);
      if (v === null || v === undefined) continue;
      d += (d ? 'L' : 'M') + x(p.atMs).toFixed(1) + ',' + y(v).toFixed(1);
    }
    return d;
  }

  /**
   * The allowed band's edge over time as the area outside it, shaded: relative thresholds move
   * with the baseline, so each look has its own edge; between looks the edge holds (step-after).
   */
  function outsideArea(points, edge, x, y, towards, tEnd) {
    const withEdge = points.filter((p) => edge(p) !== undefined);
    if (withEdge.length === 0) return '';
    let d = 'M' + x(withEdge[0].atMs).toFixed(1) + ',' + towards.toFixed(1);
    withEdge.forEach((p, i) => {
      const next = i + 1 < withEdge.length ? withEdge[i + 1].atMs : tEnd;
      d += 'L' + x(p.atMs).toFixed(1) + ',' + y(edge(p)).toFixed(1) + 'L' + x(next).toFixed(1) + ',' + y(edge(p)).toFixed(1);
    });
    return d + 'L' + x(tEnd).toFixed(1) + ',' + towards.toFixed(1) + 'Z';
  }

  function edgeLine(points, edge, x, y, tEnd) {
    const withEdge = points.filter((p) => edge(p) !== undefined);
    let d = '';
    withEdge.forEach((p, i) => {
      const next = i + 1 < withEdge.length ? withEdge[i + 1].atMs : tEnd;
      d +=
        (i === 0 ? 'M' : 'L') + x(p.atMs).toFixed(1) + ',' + y(edge(p)).toFixed(1) + 'L' + x(next).toFixed(1) + ',' + y(edge(p)).toFixed(1);
    });
    return d;
  }

  function valueRange(points) {
    const values = [];
    for (const p of points) {
      for (const v of [p.candidate, p.baseline, p.allowed.min, p.allowed.max, p.confidence.lower, p.confidence.upper])
        if (typeof v === 'number' && Number.isFinite(v)) values.push(v);
    }
    if (values.length === 0) return [0, 1];
    let lo = Math.min(...values);
    let hi = Math.max(...values);
    // Rates, latencies and counts are read against zero; a custom metric far from zero is not.
    if (lo >= 0 && lo < hi * 0.6) lo = 0;
    if (hi === lo) hi = lo + (Math.abs(lo) || 1);
    const pad = (hi - lo) * 0.08;
    return [lo === 0 ? 0 : lo - pad, hi + pad];
  }

  function legend(chart, items) {
    let x = L;
    for (const item of items) {
      const g = svg('g', { class: 'legend-item' });
      g.append(item.draw(x + 8, 12));
      g.append(svg('text', { x: x + 20, y: 16 }, item.label));
      chart.append(g);
      x += 32 + item.label.length * 6.2;
    }
  }

  /** One check's chart: values and band above, the traffic split below, one time axis. */
  function checkChart(gate, check, colors, idBase) {
    const points = check.points;
    const t0 = points[0].atMs;
    const tLast = points[points.length - 1].atMs;
    // A little room after the last look so its band segment and mark are visible.
    const tEnd = tLast + Math.max((tLast - t0) * 0.04, 60_000);
    const x = (ms) => L + ((ms - t0) / Math.max(tEnd - t0, 1)) * (W - L - R);
    const [vLo, vHi] = valueRange(points);
    const plotBottom = TOP + PLOT_H;
    const y = (v) => TOP + (1 - (v - vLo) / (vHi - vLo)) * PLOT_H;
    const stripTop = plotBottom + GAP;
    const ys = (pct) => stripTop + (1 - pct / 100) * STRIP_H;

    const titleId = idBase + '-title';
    const descId = idBase + '-desc';
    const latest = points[points.length - 1];
    const chart = svg('svg', {
      viewBox: '0 0 ' + W + ' ' + H,
      role: 'img',
      'aria-labelledby': titleId + ' ' + descId,
      'data-gate': gate.gate,
      'data-metric': check.metric,
    });
    chart.append(
      svg(
        'title',
        { id: titleId },
        'Gate ' + gate.gate + ', ' + check.metric + ': candidate against baseline at each look (threshold ' + check.threshold + ')',
      ),
    );
    chart.append(svg('desc', { id: descId }, points.length + ' looks; latest ' + describePoint(check.metric, latest)));

    // Axes and grid.
    for (let i = 0; i <= 4; i += 1) {
      const v = vLo + ((vHi - vLo) * i) / 4;
      chart.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'axis' }));
      chart.append(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, num(v)));
    }

    // The threshold: the region outside the allowed band shaded, its edge dashed.
    const band = svg('g', { 'data-band': check.threshold });
    const above = outsideArea(points, (p) => p.allowed.max, x, y, TOP, tEnd);
    const below = outsideArea(points, (p) => p.allowed.min, x, y, plotBottom, tEnd);
    if (above) band.append(svg('path', { d: above, class: 'outside-band', 'data-edge': 'max' }));
    if (below) band.append(svg('path', { d: below, class: 'outside-band', 'data-edge': 'min' }));
    for (const edge of [(p) => p.allowed.max, (p) => p.allowed.min]) {
      const d = edgeLine(points, edge, x, y, tEnd);
      if (d) band.append(svg('path', { d, class: 'band-edge' }));
    }
    chart.append(band);

    // Confidence bounds: a whisker per look from the lower bound (or the value) to the upper bound.
    for (const p of points) {
      const lower = p.confidence.lower !== undefined ? p.confidence.lower : p.candidate;
      const upper = p.confidence.upper !== undefined ? p.confidence.upper : p.candidate;
      if (lower === null || upper === null || (p.confidence.lower === undefined && p.confidence.upper === undefined)) continue;
      const cx = x(p.atMs);
      const g = svg('g', { class: 'ci', 'data-ci': p.look, stroke: colors.candidate });
      g.append(svg('line', { x1: cx, x2: cx, y1: y(lower), y2: y(upper) }));
      if (p.confidence.upper !== undefined) g.append(svg('line', { x1: cx - 4, x2: cx + 4, y1: y(upper), y2: y(upper) }));
      if (p.confidence.lower !== undefined) g.append(svg('line', { x1: cx - 4, x2: cx + 4, y1: y(lower), y2: y(lower) }));
      chart.append(g);
    }

    chart.append(
      svg('path', {
        d: linePath(points, (p) => p.baseline, x, y),
        fill: 'none',
        stroke: colors.baseline,
        'stroke-width': 2,
        'data-series': 'baseline',
      }),
    );
    for (const p of points)
      if (p.baseline !== null) chart.append(svg('circle', { cx: x(p.atMs), cy: y(p.baseline), r: 2.5, fill: colors.baseline }));
    chart.append(
      svg('path', {
        d: linePath(points, (p) => p.candidate, x, y),
        fill: 'none',
        stroke: colors.candidate,
        'stroke-width': 2.5,
        'data-series': 'candidate',
      }),
    );
    for (const p of points) {
      // A look without a candidate value (no data) is marked on the axis.
      const mark = marker(x(p.atMs), p.candidate === null ? plotBottom : y(p.candidate), p.verdict);
      const g = svg('g', { class: 'look', 'data-look': p.look, 'data-verdict': p.verdict, tabindex: 0 });
      g.append(svg('title', {}, describePoint(check.metric, p)));
      g.append(mark);
      chart.append(g);
    }

    // The traffic split at each look, under the same time axis.
    chart.append(svg('text', { x: L - 6, y: stripTop + 4, 'text-anchor': 'end' }, '100%'));
    chart.append(svg('text', { x: L - 6, y: stripTop + STRIP_H + 4, 'text-anchor': 'end' }, '0%'));
    chart.append(svg('line', { x1: L, x2: W - R, y1: ys(0), y2: ys(0), class: 'axis' }));
    chart.append(svg('line', { x1: L, x2: W - R, y1: ys(100), y2: ys(100), class: 'axis' }));
    const strip = svg('g', { 'data-traffic': 'split' });
    points.forEach((p, i) => {
      const x1 = x(p.atMs);
      const x2 = x(i + 1 < points.length ? points[i + 1].atMs : tEnd);
      const width = Math.max(x2 - x1, 1);
      if (p.traffic.baseline > 0)
        strip.append(
          svg('rect', { x: x1, y: ys(100), width, height: ys(100 - p.traffic.baseline) - ys(100), fill: colors.baseline, opacity: 0.35 }),
        );
      if (p.traffic.candidate > 0)
        strip.append(
          svg('rect', {
            x: x1,
            y: ys(p.traffic.candidate),
            width,
            height: ys(0) - ys(p.traffic.candidate),
            fill: colors.candidate,
            opacity: 0.6,
            'data-candidate-percent': p.traffic.candidate,
          }),
        );
      if (p.traffic.mirroredToCandidate > 0)
        strip.append(
          svg('line', {
            x1,
            x2: x1 + width,
            y1: ys(p.traffic.mirroredToCandidate),
            y2: ys(p.traffic.mirroredToCandidate),
            stroke: colors.candidate,
            'stroke-width': 2,
            'stroke-dasharray': '5 3',
            'data-mirror-percent': p.traffic.mirroredToCandidate,
          }),
        );
    });
    chart.append(strip);
    chart.append(
      svg(
        'text',
        { x: W - R, y: stripTop - 6, 'text-anchor': 'end' },
        'traffic at each look: candidate (green), baseline (blue), mirrored to candidate (dashed)',
      ),
    );

    // Time axis (the looks' times, UTC).
    const axisY = stripTop + STRIP_H + 16;
    const ticks = points.length <= 8 ? points : points.filter((_, i) => i % Math.ceil(points.length / 8) === 0 || i === points.length - 1);
    for (const p of ticks) chart.append(svg('text', { x: x(p.atMs), y: axisY, 'text-anchor': 'middle' }, hhmm(p.atMs)));

    legend(chart, [
      {
        label: 'candidate',
        draw: (lx, ly) => svg('line', { x1: lx - 8, x2: lx + 8, y1: ly, y2: ly, stroke: colors.candidate, 'stroke-width': 3 }),
      },
      {
        label: 'baseline',
        draw: (lx, ly) => svg('line', { x1: lx - 8, x2: lx + 8, y1: ly, y2: ly, stroke: colors.baseline, 'stroke-width': 3 }),
      },
      { label: 'outside threshold', draw: (lx, ly) => svg('rect', { x: lx - 8, y: ly - 6, width: 16, height: 12, class: 'outside-band' }) },
      {
        label: 'confidence bound',
        draw: (lx, ly) => svg('line', { x1: lx, x2: lx, y1: ly - 7, y2: ly + 7, stroke: colors.candidate, 'stroke-width': 1.5 }),
      },
      { label: 'pass', draw: (lx, ly) => marker(lx, ly, 'pass') },
      { label: 'fail', draw: (lx, ly) => marker(lx, ly, 'fail') },
      { label: 'inconclusive', draw: (lx, ly) => marker(lx, ly, 'inconclusive') },
    ]);
    return chart;
  }

  /**
   * The charts of an evidence body: a heading per gate, a figure per check. Returns the nodes to
   * put in the page (empty when no gate has been checked).
   */
  function renderMetricCharts(evidence, colors) {
    const nodes = [];
    (evidence.gates || []).forEach((gate, gi) => {
      const kept =
        gate.recorded > gate.kept
          ? ' \u2014 ' + gate.kept + ' of ' + gate.recorded + ' looks kept (first, latest and spread between)'
          : ' \u2014 ' + gate.recorded + ' look' + (gate.recorded === 1 ? '' : 's');
      nodes.push(html('h3', { class: 'gate-title', 'data-gate': gate.gate, text: 'Gate ' + gate.gate + kept }));
      gate.checks.forEach((check, ci) => {
        if (check.points.length === 0) return;
        const latest = check.points[check.points.length - 1];
        const caption = html(
          'figcaption',
          {},
          html('strong', { text: check.metric }),
          ' threshold ' + check.threshold + ' \u00b7 latest look ' + latest.look + ': ',
          html('span', { class: 'verdict ' + latest.verdict, text: latest.verdict }),
          ', candidate ' +
            num(latest.candidate) +
            ' vs baseline ' +
            num(latest.baseline) +
            (latest.pValue !== undefined ? ', p = ' + num(latest.pValue) : ''),
        );
        nodes.push(
          html(
            'figure',
            { class: 'metric-chart', 'data-gate': gate.gate, 'data-metric': check.metric },
            caption,
            checkChart(gate, check, colors, 'mc-' + gi + '-' + ci),
          ),
        );
      });
    });
    return nodes;
  }

  Object.assign(window, { amlRolloutMetricCharts: { renderMetricCharts } });
})();
