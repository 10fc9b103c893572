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

  function stepText(step) {
    return step.index >= step.count ? 'done (' + step.count + ' of ' + step.count + ')' : step.index + 1 + ' of ' + step.count + ': ' + step.description;
  }

  function tone(phase) {
    return 'tone-' + ((PHASES[phase] && PHASES[phase].tone) || 'info');
  }

  function fmt(value) {
    if (value === null || value === undefined) return 'n/a';
    if (Number.isInteger(value)) return String(value);
    return String(Number(value.toPrecision(3)));
  }

  function time(ms) {
    return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
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
      headers: Object.assign({ accept: 'application/json' }, key ? { 'x-functions-key': key } : {}, body ? { 'content-type': 'application/json' } : {}),
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

  function trafficText(traffic) {
    return traffic ? Object.entries(traffic).map(([d, p]) => d + ' ' + p + '%').join(', ') : '-';
  }

  async function loadList(append) {
    const query = new URLSearchParams({ top: '50' });
    if ($('filter-endpoint').value.trim()) query.set('endpoint', $('filter-endpoint').value.trim());
    if ($('filter-model').value.trim()) query.set('model', $('filter-model').value.trim());
    if ($('filter-status').value) query.set('status', $('filter-status').value);
    if (append && listContinuation) query.set('continuation', listContinuation);
    try {
      const page = await api('GET', '/rollouts?' + query.toString());
      const rows = $('rollout-rows');
      if (!append) rows.replaceChildren();
      for (const item of page.items) {
        const tr = el('tr', { 'data-id': item.rolloutId },
          el('td', {}, el('a', { href: '#/rollouts/' + encodeURIComponent(item.rolloutId), text: item.rolloutId })),
          el('td', { text: (item.model || '?') + ':' + (item.version || '?') }),
          el('td', { text: item.endpoint || '-' }),
          el('td', {}, el('span', { class: 'phase ' + tone(item.phase), text: item.phase })),
          el('td', { text: item.step ? item.step.index + 1 + '/' + item.step.count + ' ' + item.step.kind : '-' }),
          el('td', { text: trafficText(item.traffic) }),
          el('td', { class: 'num', text: item.updatedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') }));
        tr.addEventListener('click', () => (location.hash = '#/rollouts/' + encodeURIComponent(item.rolloutId)));
        rows.append(tr);
      }
      listContinuation = page.continuation || null;
      $('more').hidden = !listContinuation;
      $('list-empty').hidden = rows.children.length > 0;
      banner('');
    } catch (error) {
      handleError(error);
    }
    if (!append) schedule(() => loadList(false));
  }

  // ---- detail ----------------------------------------------------------------------------

  function trafficSeries(detail) {
    const s = detail.status;
    const points = [];
    for (const entry of s.journal || []) if (entry.traffic) points.push({ atMs: entry.atMs, traffic: entry.traffic });
    for (const sample of samples.get(s.rolloutId) || []) points.push(sample);
    points.push({ atMs: s.updatedAtMs, traffic: s.traffic });
    if (!points.some((p) => p.atMs <= s.startedAtMs)) {
      // Before the first change the baseline held everything.
      points.push({ atMs: s.startedAtMs, traffic: { [s.baseline]: 100 } });
    }
    points.sort((a, b) => a.atMs - b.atMs);
    return points;
  }

  function renderChart(detail) {
    const points = trafficSeries(detail);
    const names = [];
    for (const p of points) for (const name of Object.keys(p.traffic)) if (!names.includes(name)) names.push(name);
    const W = 760, H = 230, L = 44, R = 12, T = 26, B = 28;
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
    names.forEach((name, i) => {
      // Step-after lines: traffic holds its value until the next change.
      let d = '';
      points.forEach((p, j) => {
        const pct = p.traffic[name] || 0;
        d += (j === 0 ? 'M' : 'H' + x(p.atMs).toFixed(1) + 'V') + (j === 0 ? x(p.atMs).toFixed(1) + ',' + y(pct).toFixed(1) : y(pct).toFixed(1));
      });
      d += 'H' + x(t1).toFixed(1);
      chart.append(svg('path', { d, fill: 'none', stroke: colorOf(name, detail.status), 'stroke-width': 2.5, 'data-deployment': name }));
      chart.append(svg('rect', { x: L + i * 190, y: 4, width: 10, height: 10, fill: colorOf(name, detail.status) }));
      chart.append(svg('text', { x: L + 14 + i * 190, y: 13 }, name));
    });
    $('d-chart').replaceChildren(chart);
  }

  function renderTraffic(s) {
    const names = Array.from(new Set(Object.keys(s.traffic).concat(Object.keys(s.mirror || {}))));
    const rows = names.map((name) => {
      const pct = s.traffic[name] || 0;
      const fill = el('div', { class: 'fill' });
      fill.style.width = pct + '%';
      fill.style.background = colorOf(name, s);
      const mirror = s.mirror && s.mirror[name] ? ' (+' + s.mirror[name] + '% mirrored)' : '';
      return el('div', { class: 'row', 'data-deployment': name }, el('span', { text: name + mirror }), el('div', { class: 'bar' }, fill), el('span', { class: 'pct', text: pct + '%' }));
    });
    $('d-traffic').replaceChildren(...rows);
  }

  function renderGates(s) {
    const rows = [];
    for (const gate of (s.gates || []).slice().reverse()) {
      const evidence = gate.evidence.length ? gate.evidence : [null];
      evidence.forEach((e, i) => {
        rows.push(el('tr', {},
          el('td', { text: i === 0 ? gate.gate + ' (look ' + gate.look + ')' : '' }),
          el('td', {}, el('span', { class: 'verdict ' + (e ? e.verdict : gate.verdict), text: e ? e.verdict : gate.verdict })),
          el('td', { text: e ? e.metric : gate.reason }),
          el('td', { class: 'num', text: e ? fmt(e.candidate) : '' }),
          el('td', { class: 'num', text: e ? fmt(e.baseline) : '' }),
          el('td', { text: e ? e.threshold : '' }),
          el('td', { class: 'num', text: e ? e.samples.candidate + ' / ' + e.samples.baseline : '' }),
          el('td', { text: e ? e.test : '' }),
          el('td', { class: 'num', text: e && e.pValue !== undefined ? fmt(e.pValue) : '' })));
      });
    }
    $('d-gates').replaceChildren(...rows);
    $('d-gates-empty').hidden = rows.length > 0;
  }

  function renderDetail(detail) {
    const s = detail.status;
    $('d-title').textContent = s ? s.model + ' ' + s.version + ' \u2192 ' + s.endpoint : detail.rolloutId;
    $('d-phase').textContent = detail.phase + (s && s.paused && detail.phase !== 'Paused' ? ' (paused)' : '');
    $('d-phase').className = 'phase ' + tone(detail.phase);
    const waiting = $('d-waiting');
    if (s && s.waitingFor) {
      waiting.hidden = false;
      waiting.textContent = 'Waiting for ' + s.waitingFor.kind + ': ' + s.waitingFor.detail + (s.waitingFor.untilMs ? ' (until ' + time(s.waitingFor.untilMs) + ')' : '');
    } else waiting.hidden = true;

    const facts = s
      ? [['Rollout', detail.rolloutId], ['Policy', s.policy + ' (' + s.strategy + ')'], ['Baseline', s.baseline], ['Candidate', s.candidate], ['Step', stepText(s.step)], ['Started', time(s.startedAtMs)], ['Updated', time(s.updatedAtMs)]]
      : [['Rollout', detail.rolloutId], ['Runtime', detail.runtimeStatus]];
    if (s && s.outcome) facts.push(['Outcome', s.outcome + (s.reason ? ': ' + s.reason : '')]);
    else if (s && s.reason) facts.push(['Reason', s.reason]);
    if (s && s.winner) facts.push(['Winner', s.winner.deployment + ': ' + s.winner.reason]);
    $('d-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));

    const steps = [];
    if (s) {
      for (let i = 0; i < s.step.count; i += 1) {
        const state = i < s.step.index || (i === s.step.index && s.outcome === 'promoted') ? 'done' : i === s.step.index ? (s.outcome && s.outcome !== 'promoted' ? 'failed' : 'current') : '';
        steps.push(el('div', { class: 'step ' + state, title: 'step ' + (i + 1) }));
      }
    }
    $('d-steps').replaceChildren(...steps);

    const ended = !!(s && (s.outcome || (PHASES[s.phase] && PHASES[s.phase].terminal))) || ['Completed', 'Failed', 'Terminated'].includes(detail.runtimeStatus);
    const approval = !!(s && s.waitingFor && s.waitingFor.kind === 'approval');
    const paused = !!(s && (s.paused || s.phase === 'Paused'));
    const enabled = {
      approve: approval && !ended,
      reject: approval && !ended,
      pause: !ended && !paused && s && s.phase !== 'Failed',
      resume: !ended && paused,
      promote: !ended && s && s.phase !== 'Failed' && s.phase !== 'RollingBack',
      abort: !ended && s && s.phase !== 'RollingBack',
      retry: !ended && s && s.phase === 'Failed',
    };
    for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('[data-action]'))) button.disabled = !enabled[button.dataset.action];

    if (s) {
      const list = samples.get(s.rolloutId) || [];
      const last = list[list.length - 1];
      if (!last || JSON.stringify(last.traffic) !== JSON.stringify(s.traffic)) list.push({ atMs: s.updatedAtMs, traffic: s.traffic });
      samples.set(s.rolloutId, list.slice(-200));
      renderTraffic(s);
      renderChart(detail);
      renderGates(s);
      const decisions = (s.approvals || []).map((a) => el('li', { text: a.decision + ' by ' + a.by + ' at step ' + (a.step + 1) + ', ' + time(a.atMs) + (a.comment ? ' \u2014 "' + a.comment + '"' : '') + (a.accepted ? '' : ' (not acted upon' + (a.note ? ': ' + a.note : '') + ')') }))
        .concat((s.overrides || []).map((o) => el('li', { text: o.action + ' by ' + o.by + ' at step ' + (o.step + 1) + ', ' + time(o.atMs) + (o.comment ? ' \u2014 "' + o.comment + '"' : '') })));
      $('d-decisions').replaceChildren(...(decisions.length ? decisions : [el('li', { class: 'muted', text: 'none yet' })]));
    }
    $('d-history').replaceChildren(...detail.history.slice().reverse().map((h) => el('li', {}, el('span', { class: 'at', text: time(h.atMs) }), h.text)));
  }

  async function loadDetail(id) {
    try {
      const detail = await api('GET', '/rollouts/' + encodeURIComponent(id));
      if (current !== id) return;
      renderDetail(detail);
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
      const result = await api('POST', '/rollouts/' + encodeURIComponent(current) + '/' + action, Object.assign({}, by ? { by } : {}, comment ? { comment } : {}));
      $('action-result').textContent = action + ' sent as ' + result.by + (result.step !== undefined ? ' (step ' + (result.step + 1) + ')' : '');
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
  $('more').addEventListener('click', () => loadList(true));
  for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('[data-action]'))) button.addEventListener('click', () => act(button.dataset.action));
  window.addEventListener('hashchange', route);
  api('GET', '/phases')
    .then((table) => {
      PHASES = table.phases;
    })
    .catch(handleError)
    .then(route);
})();
