// @ts-check
// aml-rollout dashboard: plain browser JavaScript, no build step, no third-party code.
// Talks to the same HTTP API as the CLI (/api/rollouts...), with the operator's function key
// kept in sessionStorage (this tab only).
'use strict';

(function () {
  const API = new URL('../', location.href.split('#')[0]).pathname.replace(/\/$/, ''); // "/api"
  const KEY_ITEM = 'aml-rollout.key';
  const BY_ITEM = 'aml-rollout.by';
  const REFRESH_MS = 3000;
  const COLORS = ['#0969da', '#1a7f37', '#bf8700', '#8250df', '#cf222e', '#1b7c83'];
  // The phase table (terminal flag, tone, allowed actions per phase) is the API's: GET /api/phases.
  let PHASES = {};
  const GROUP_ITEM = 'aml-rollout.group-by-endpoint';

  /**
   * The operator actions that apply to a rollout now: the served phase table's actions for its
   * phase, approve/reject while an approval waits (the API refuses the others with a 409).
   */
  function allowedActions(detail) {
    const s = detail.status;
    const info = PHASES[detail.phase];
    const runtimeEnded = ['Completed', 'Failed', 'Terminated'].includes(detail.runtimeStatus);
    const none = { approve: false, reject: false, pause: false, resume: false, promote: false, abort: false, retry: false };
    if (!s || !info || runtimeEnded) return none;
    // Ended while a failed delete is still retried: the phase's cleanupActions (abort stops the retries).
    const actions = info.terminal ? (s.retrying ? info.cleanupActions || [] : []) : info.actions;
    const can = (/** @type {string} */ action) => actions.includes(action);
    const approval = !!(s.waitingFor && s.waitingFor.kind === 'approval');
    return {
      approve: approval,
      reject: approval,
      pause: can('pause') && !s.paused,
      resume: can('resume'),
      promote: can('promote'),
      abort: can('abort'),
      retry: can('retry'),
    };
  }

  // Typed as an input so `.value` checks; every element the page looks up by id is one or a plain element.
  const $ = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
  let timer = null;
  let current = null; // the rollout shown in the detail view
  let listContinuation = null;
  const samples = new Map(); // rolloutId -> [{atMs, traffic}] seen while this page was open

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    for (const child of children) if (child) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  // One color per deployment everywhere on the page: the baseline first, the candidate second.
  function colorOf(name, s) {
    if (s && name === s.baseline) return COLORS[0];
    if (s && name === s.candidate) return COLORS[1];
    let hash = 0;
    for (const c of name) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
    return COLORS[2 + (hash % (COLORS.length - 2))];
  }

  function tone(phase) {
    return 'tone-' + ((PHASES[phase] && PHASES[phase].tone) || 'info');
  }

  // The API words steps, splits and waits (src/plan/describe.ts); the page shows its words as they are.
  function capitalized(text) {
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  }

  // Up to the end, or to the last activity while running: the app's clock may be virtual (--clock x60),
  // so the browser's clock says nothing about a rollout's time.
  function elapsed(fromIso, toIso) {
    const seconds = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
    if (seconds < 60) return seconds + ' s';
    const minutes = Math.round(seconds / 60);
    return minutes < 60 ? minutes + ' min' : Math.floor(minutes / 60) + ' h ' + String(minutes % 60).padStart(2, '0') + ' min';
  }

  function time(ms) {
    return new Date(ms)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
  }

  function banner(message, ok) {
    const b = $('banner');
    if (!message) {
      b.hidden = true;
      return;
    }
    b.textContent = message;
    b.className = ok ? 'banner ok' : 'banner';
    b.hidden = false;
  }

  async function api(method, path, body) {
    const key = sessionStorage.getItem(KEY_ITEM);
    const response = await fetch(API + path, {
      method,
      headers: Object.assign(
        { accept: 'application/json' },
        key ? { 'x-functions-key': key } : {},
        body ? { 'content-type': 'application/json' } : {},
      ),
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    let data;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch (e) {
      data = undefined;
    }
    if (!response.ok) {
      const message = (data && data.error && data.error.message) || (data && data.message) || response.statusText;
      const error = /** @type {Error & { status?: number }} */ (new Error('HTTP ' + response.status + ': ' + message));
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function show(view) {
    for (const id of ['key-view', 'list-view', 'detail-view']) $(id).hidden = id !== view;
    $('forget-key').hidden = view === 'key-view';
    const by = sessionStorage.getItem(BY_ITEM);
    $('who').textContent = view === 'key-view' ? '' : by ? 'acting as ' + by : '';
  }

  function schedule(fn) {
    clearTimeout(timer);
    timer = setTimeout(fn, REFRESH_MS);
  }

  function handleError(error) {
    if (error && error.status === 401) {
      sessionStorage.removeItem(KEY_ITEM);
      banner('The key was refused (401). Enter a valid function key.');
      route();
      return;
    }
    banner(error && error.message ? error.message : String(error));
  }

  // ---- list ------------------------------------------------------------------------------

  /** A small bar: live traffic per deployment, mirrored traffic as a hatched strip underneath. */
  function miniBar(item) {
    const live = el('div', { class: 'mini-live' });
    for (const [name, pct] of Object.entries(item.traffic || {})) {
      if (!pct) continue;
      const seg = el('span', { 'data-deployment': name, title: name + ' ' + pct + '%' });
      seg.style.width = pct + '%';
      seg.style.background = colorOf(name, item);
      live.append(seg);
    }
    const bar = el('div', { class: 'mini', title: item.trafficText || '' }, live);
    for (const [name, pct] of Object.entries(item.mirror || {})) {
      if (!pct) continue;
      const strip = el('span', { class: 'mini-mirror', 'data-deployment': name, title: name + ' ' + pct + '% mirrored' });
      strip.style.width = pct + '%';
      strip.style.borderColor = colorOf(name, item);
      bar.append(strip);
    }
    return el('div', { class: 'mini-wrap' }, bar, el('span', { class: 'muted small', text: item.trafficText || '-' }));
  }

  function listRow(item) {
    const tr = el(
      'tr',
      { 'data-id': item.rolloutId },
      el(
        'td',
        {},
        el('a', { href: '#/rollouts/' + encodeURIComponent(item.rolloutId), text: (item.model || '?') + ' ' + (item.version || '?') }),
        el('div', { class: 'muted small', text: item.rolloutId }),
      ),
      el('td', { text: item.endpoint || '-' }),
      el(
        'td',
        {},
        el('span', { class: 'phase ' + tone(item.phase), text: item.phase }),
        el('div', { class: 'muted small', text: item.step ? item.step.text : '' }),
      ),
      el('td', {}, miniBar(item)),
      el('td', { class: 'waiting-cell', text: item.waitingFor ? capitalized(item.waitingFor) : item.outcome ? item.outcome : '-' }),
      el('td', {
        class: 'num',
        text: elapsed(item.createdAt, item.endedAt || item.updatedAt),
        title: 'started ' + time(Date.parse(item.createdAt)),
      }),
      el('td', { class: 'num', text: time(Date.parse(item.updatedAt)) }),
    );
    tr.addEventListener('click', (event) => {
      if (event.target.closest('a')) return;
      location.hash = '#/rollouts/' + encodeURIComponent(item.rolloutId);
    });
    return tr;
  }

  let listItems = [];

  function renderList() {
    const rows = $('rollout-rows');
    const grouped = $('group-endpoint').checked;
    const out = [];
    if (grouped) {
      // Endpoints in the order of their newest activity (the API lists newest activity first).
      const groups = new Map();
      for (const item of listItems) {
        const key = item.endpoint || '(no endpoint yet)';
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(item);
      }
      for (const [endpoint, items] of groups) {
        out.push(
          el(
            'tr',
            { class: 'group', 'data-endpoint': endpoint },
            el('th', { colspan: 7, text: endpoint + ' \u2014 ' + items.length + ' rollout' + (items.length === 1 ? '' : 's') }),
          ),
        );
        for (const item of items) out.push(listRow(item));
      }
    } else for (const item of listItems) out.push(listRow(item));
    rows.replaceChildren(...out);
    $('list-empty').hidden = listItems.length > 0;
  }

  async function loadList(append) {
    const query = new URLSearchParams({ top: '50' });
    if ($('filter-endpoint').value.trim()) query.set('endpoint', $('filter-endpoint').value.trim());
    if ($('filter-model').value.trim()) query.set('model', $('filter-model').value.trim());
    if ($('filter-status').value) query.set('status', $('filter-status').value);
    if (append && listContinuation) query.set('continuation', listContinuation);
    try {
      const page = await api('GET', '/rollouts?' + query.toString());
      listItems = append ? listItems.concat(page.items) : page.items;
      renderList();
      listContinuation = page.continuation || null;
      $('more').hidden = !listContinuation;
      banner('');
    } catch (error) {
      handleError(error);
    }
    if (!append) schedule(() => loadList(false));
  }

  // ---- detail ----------------------------------------------------------------------------

  /** Live and mirrored split over time: the journal's traffic writes, what this page saw, and now. */
  function trafficSeries(detail) {
    const s = detail.status;
    const points = [];
    for (const entry of s.journal || [])
      if (entry.traffic) points.push({ atMs: entry.atMs, traffic: entry.traffic, mirror: entry.mirror || {} });
    for (const sample of samples.get(s.rolloutId) || []) points.push(sample);
    points.push({ atMs: s.updatedAtMs, traffic: s.traffic, mirror: s.mirror || {} });
    if (!points.some((p) => p.atMs <= s.startedAtMs)) {
      // Before the first change the baseline held everything.
      points.push({ atMs: s.startedAtMs, traffic: { [s.baseline]: 100 }, mirror: {} });
    }
    points.sort((a, b) => a.atMs - b.atMs);
    return points;
  }

  function stepPath(points, value, x, y, t1) {
    // Step-after lines: a split holds its value until the next change.
    let d = '';
    points.forEach((p, j) => {
      const v = value(p);
      d += j === 0 ? 'M' + x(p.atMs).toFixed(1) + ',' + y(v).toFixed(1) : 'H' + x(p.atMs).toFixed(1) + 'V' + y(v).toFixed(1);
    });
    return d + 'H' + x(t1).toFixed(1);
  }

  function renderChart(detail) {
    const points = trafficSeries(detail);
    const live = [];
    const mirrored = [];
    for (const p of points) {
      for (const name of Object.keys(p.traffic)) if (!live.includes(name)) live.push(name);
      for (const [name, pct] of Object.entries(p.mirror || {})) if (pct && !mirrored.includes(name)) mirrored.push(name);
    }
    const W = 760,
      H = 230,
      L = 44,
      R = 12,
      T = 26,
      B = 28;
    const t0 = points[0].atMs;
    const t1 = Math.max(points[points.length - 1].atMs, t0 + 1);
    const x = (ms) => L + ((ms - t0) / (t1 - t0)) * (W - L - R);
    const y = (pct) => T + (1 - pct / 100) * (H - T - B);
    const chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'traffic split over time' });
    for (const pct of [0, 25, 50, 75, 100]) {
      chart.append(svg('line', { x1: L, x2: W - R, y1: y(pct), y2: y(pct), class: 'axis' }));
      chart.append(svg('text', { x: L - 6, y: y(pct) + 4, 'text-anchor': 'end' }, pct + '%'));
    }
    chart.append(svg('text', { x: L, y: H - 8 }, time(t0)));
    chart.append(svg('text', { x: W - R, y: H - 8, 'text-anchor': 'end' }, time(t1)));
    let legendX = L;
    const legend = (name, dashed) => {
      const color = colorOf(name, detail.status);
      chart.append(
        svg('line', {
          x1: legendX,
          x2: legendX + 16,
          y1: 9,
          y2: 9,
          stroke: color,
          'stroke-width': 3,
          'stroke-dasharray': dashed ? '5 3' : 'none',
        }),
      );
      const label = name + (dashed ? ' (mirrored)' : '');
      chart.append(svg('text', { x: legendX + 20, y: 13 }, label));
      legendX += 34 + label.length * 6.5;
    };
    for (const name of live) {
      chart.append(
        svg('path', {
          d: stepPath(points, (p) => p.traffic[name] || 0, x, y, t1),
          fill: 'none',
          stroke: colorOf(name, detail.status),
          'stroke-width': 2.5,
          'data-deployment': name,
        }),
      );
      legend(name, false);
    }
    // Mirrored traffic is a copy (responses discarded), drawn dashed so it never reads as live.
    for (const name of mirrored) {
      chart.append(
        svg('path', {
          d: stepPath(points, (p) => (p.mirror || {})[name] || 0, x, y, t1),
          fill: 'none',
          stroke: colorOf(name, detail.status),
          'stroke-width': 2,
          'stroke-dasharray': '6 4',
          'data-mirror': name,
        }),
      );
      legend(name, true);
    }
    $('d-chart').replaceChildren(chart);
  }

  function renderTraffic(s) {
    const mirror = s.mirror || {};
    const names = Array.from(new Set(Object.keys(s.traffic).concat(Object.keys(mirror).filter((n) => mirror[n]))));
    const rows = names.map((name) => {
      const pct = s.traffic[name] || 0;
      const fill = el('div', { class: 'fill' });
      fill.style.width = pct + '%';
      fill.style.background = colorOf(name, s);
      const bar = el('div', { class: 'bar' }, fill);
      if (mirror[name]) {
        const copy = el('div', { class: 'mirror-fill', title: mirror[name] + '% of live traffic mirrored (responses discarded)' });
        copy.style.width = mirror[name] + '%';
        copy.style.borderColor = colorOf(name, s);
        bar.append(copy);
      }
      return el(
        'div',
        { class: 'row', 'data-deployment': name },
        el('span', { text: name }),
        bar,
        el('span', { class: 'pct', text: pct + '%' }),
        el('span', { class: 'mirror-pct muted', text: mirror[name] ? '+' + mirror[name] + '% mirrored' : '' }),
      );
    });
    $('d-traffic').replaceChildren(...rows);
  }

  /** Gate rows as the API words them: verdict, metric, candidate vs baseline, threshold, the deciding p. */
  function renderGates(detail) {
    const rows = [];
    const gates = (detail.display && detail.display.gates) || [];
    for (const gate of gates.slice().reverse()) {
      const evidence = gate.rows.length ? gate.rows : [null];
      evidence.forEach((e, i) => {
        rows.push(
          el(
            'tr',
            { 'data-gate': gate.gate },
            el('td', { text: i === 0 ? gate.gate + ' (look ' + gate.look + ')' : '' }),
            el('td', {}, el('span', { class: 'verdict ' + (e ? e.verdict : gate.verdict), text: e ? e.verdict : gate.verdict })),
            // Resource and cost rows carry a detail line: raw and per-request numbers, sizing at 100%, prices.
            el(
              'td',
              {},
              e ? e.metric : gate.reason,
              ...(e && e.detail ? [el('div', { class: 'muted evidence-detail', text: e.detail })] : []),
            ),
            el('td', { class: 'num', text: e ? e.candidate + ' vs ' + e.baseline : '' }),
            el('td', { text: e ? e.threshold : '' }),
            el('td', { class: 'num', text: e ? e.decidedBy || 'absolute' : '' }),
            el('td', { class: 'num muted', text: e ? e.samples : '' }),
            el('td', { class: 'muted', text: e ? e.test : '' }),
          ),
        );
      });
      // A prediction-agreement gate: its counts, then the rows the two deployments answered differently.
      for (const note of gate.notes || []) {
        rows.push(
          el('tr', { 'data-gate': gate.gate, class: 'gate-note' }, el('td', {}), el('td', { colspan: '7', class: 'muted', text: note })),
        );
      }
    }
    $('d-gates').replaceChildren(...rows);
    $('d-gates-empty').hidden = rows.length > 0;
  }

  function renderTimeSpent(detail) {
    const spent = detail.timeSpent || [];
    const total = spent.reduce((sum, t) => sum + t.ms, 0) || 1;
    $('d-time').replaceChildren(
      ...spent.map((t) => {
        const fill = el('div', { class: 'fill' });
        fill.style.width = ((t.ms / total) * 100).toFixed(1) + '%';
        return el(
          'div',
          { class: 'row', 'data-category': t.category },
          el('span', { text: t.label }),
          el('div', { class: 'bar' }, fill),
          el('span', { class: 'pct', text: t.text }),
        );
      }),
    );
    $('d-time-empty').hidden = spent.length > 0;
  }

  function renderDetail(detail) {
    const s = detail.status;
    const display = detail.display;
    $('d-title').textContent = s ? s.model + ' ' + s.version + ' \u2192 ' + s.endpoint : detail.rolloutId;
    $('d-phase').textContent = detail.phase + (s && s.paused && detail.phase !== 'Paused' ? ' (paused)' : '');
    $('d-phase').className = 'phase ' + tone(detail.phase);
    const waiting = $('d-waiting');
    waiting.hidden = !(display && display.waiting);
    waiting.textContent = display && display.waiting ? capitalized(display.waiting) : '';

    const facts = s
      ? [
          ['Rollout', detail.rolloutId],
          ['Policy', s.policy + ' (' + s.strategy + ')'],
          ['Baseline', s.baseline],
          ['Candidate', s.candidate],
          ['Step', display.step],
          ['Traffic', display.traffic],
          ['Started', time(s.startedAtMs)],
          ['Updated', time(s.updatedAtMs)],
        ]
      : [
          ['Rollout', detail.rolloutId],
          ['Runtime', detail.runtimeStatus],
        ];
    if (s && s.outcome) facts.push(['Outcome', s.outcome + (s.reason ? ': ' + s.reason : '')]);
    else if (s && s.reason) facts.push(['Reason', s.reason]);
    if (s && s.winner) facts.push(['Winner', s.winner.deployment + ': ' + s.winner.reason]);
    if (s && s.rolloutCost) facts.push(['Rollout cost', s.rolloutCost.summary]);
    $('d-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));

    const steps = [];
    if (s) {
      for (let i = 0; i < s.step.count; i += 1) {
        const state =
          i < s.step.index || (i === s.step.index && s.outcome === 'promoted')
            ? 'done'
            : i === s.step.index
              ? s.outcome && s.outcome !== 'promoted'
                ? 'failed'
                : 'current'
              : '';
        steps.push(el('div', { class: 'step ' + state, title: 'step ' + (i + 1) + ' of ' + s.step.count }));
      }
    }
    $('d-steps').replaceChildren(...steps);

    const enabled = allowedActions(detail);
    for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('[data-action]')))
      button.disabled = !enabled[button.dataset.action];

    if (s) {
      const list = samples.get(s.rolloutId) || [];
      const last = list[list.length - 1];
      if (!last || JSON.stringify([last.traffic, last.mirror]) !== JSON.stringify([s.traffic, s.mirror || {}]))
        list.push({ atMs: s.updatedAtMs, traffic: s.traffic, mirror: s.mirror || {} });
      samples.set(s.rolloutId, list.slice(-200));
      renderTraffic(s);
      renderChart(detail);
      renderGates(detail);
      renderTimeSpent(detail);
      const decisions = (s.approvals || [])
        .map((a) =>
          el('li', {
            text:
              a.decision +
              ' by ' +
              a.by +
              ' at step ' +
              (a.step + 1) +
              ', ' +
              time(a.atMs) +
              (a.comment ? ' \u2014 "' + a.comment + '"' : '') +
              (a.accepted ? '' : ' (not acted upon' + (a.note ? ': ' + a.note : '') + ')'),
          }),
        )
        .concat(
          (s.overrides || []).map((o) =>
            el('li', {
              text:
                o.action +
                ' by ' +
                o.by +
                ' at step ' +
                (o.step + 1) +
                ', ' +
                time(o.atMs) +
                (o.comment ? ' \u2014 "' + o.comment + '"' : ''),
            }),
          ),
        );
      $('d-decisions').replaceChildren(...(decisions.length ? decisions : [el('li', { class: 'muted', text: 'none yet' })]));
    }
    $('d-history').replaceChildren(
      ...detail.history
        .slice()
        .reverse()
        .map((h) => el('li', {}, el('span', { class: 'at', text: time(h.atMs) }), h.text)),
    );
  }

  /** Metric charts from GET /rollouts/{id}/evidence (drawn by metric-charts.js); none from an older API. */
  async function loadMetricCharts(id, detail) {
    const evidence = await api('GET', '/rollouts/' + encodeURIComponent(id) + '/evidence').catch((error) =>
      error.status === 404 ? { gates: [] } : Promise.reject(error),
    );
    if (current !== id) return;
    const charts = /** @type {any} */ (window).amlRolloutMetricCharts;
    const s = detail.status;
    const nodes = charts
      ? charts.renderMetricCharts(evidence, { candidate: colorOf(s ? s.candidate : '', s), baseline: colorOf(s ? s.baseline : '', s) })
      : [];
    $('d-metrics').replaceChildren(...nodes);
    $('d-metrics-empty').hidden = nodes.length > 0;
  }

  async function loadDetail(id) {
    try {
      const detail = await api('GET', '/rollouts/' + encodeURIComponent(id));
      if (current !== id) return;
      renderDetail(detail);
      await loadMetricCharts(id, detail);
      banner('');
    } catch (error) {
      handleError(error);
    }
    if (current === id) schedule(() => loadDetail(id));
  }

  async function act(action) {
    if (!current) return;
    if ((action === 'abort' || action === 'reject') && !window.confirm(action + ' rollout ' + current + '?')) return;
    const comment = $('action-comment').value.trim();
    const by = sessionStorage.getItem(BY_ITEM);
    try {
      const result = await api(
        'POST',
        '/rollouts/' + encodeURIComponent(current) + '/' + action,
        Object.assign({}, by ? { by } : {}, comment ? { comment } : {}),
      );
      $('action-result').textContent =
        action + ' sent as ' + result.by + (result.step !== undefined ? ' (at step ' + (result.step + 1) + ')' : '');
      $('action-comment').value = '';
      banner(action + ' accepted', true);
      await loadDetail(current);
    } catch (error) {
      handleError(error);
    }
  }

  // ---- routing ---------------------------------------------------------------------------

  function route() {
    clearTimeout(timer);
    if (!sessionStorage.getItem(KEY_ITEM)) {
      current = null;
      show('key-view');
      $('key-input').focus();
      return;
    }
    const match = /^#\/rollouts\/(.+)$/.exec(location.hash);
    if (match) {
      current = decodeURIComponent(match[1]);
      show('detail-view');
      void loadDetail(current);
    } else {
      current = null;
      show('list-view');
      void loadList(false);
    }
  }

  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_ITEM, $('key-input').value.trim());
    if ($('by-input').value.trim()) sessionStorage.setItem(BY_ITEM, $('by-input').value.trim());
    $('key-input').value = '';
    banner('');
    route();
  });
  $('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_ITEM);
    route();
  });
  for (const id of ['filter-endpoint', 'filter-model', 'filter-status']) $(id).addEventListener('change', () => loadList(false));
  $('group-endpoint').checked = localStorage.getItem(GROUP_ITEM) === '1';
  $('group-endpoint').addEventListener('change', () => {
    localStorage.setItem(GROUP_ITEM, $('group-endpoint').checked ? '1' : '0');
    renderList();
  });
  $('more').addEventListener('click', () => loadList(true));
  for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('[data-action]')))
    button.addEventListener('click', () => act(button.dataset.action));
  window.addEventListener('hashchange', route);
  // npm start's local inbox (not part of the API: absent in Azure, where the link stays hidden).
  fetch('/inbox/messages.json')
    .then((response) => (response.ok ? response.json() : undefined))
    .then((inbox) => {
      if (!inbox || !Array.isArray(inbox.messages)) return;
      const sent = inbox.messages.filter((/** @type {{ example: boolean }} */ m) => !m.example).length;
      $('inbox-link').textContent = `Notification inbox (${sent})`;
      $('inbox-link').hidden = false;
    })
    .catch(() => undefined);
  api('GET', '/phases')
    .then((table) => {
      PHASES = table.phases;
    })
    .catch(handleError)
    .then(route);
})();
