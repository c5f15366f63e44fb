// Charts on uPlot (loaded as the global `uPlot` by index.html): the fitness curves of an
// experiment (a mean line and a shaded 95% CI band per condition, optionally each run's own
// series) and simple line charts (a lineage, a run's generations). Each chart owns an HTML
// legend below the canvas that names the series and shows the values under the cursor, and
// follows its container's width. `destroy()` frees it.
import { h, num } from './dom.js';
import { bandOf } from './figures.js';

// Okabe-Ito colours (distinguishable with the common colour-vision deficiencies).
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#8C564B', '#444444'];

export function colorAt(i) {
  return PALETTE[i % PALETTE.length];
}

function alpha(hex, a) {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255}, ${(v >> 8) & 255}, ${v & 255}, ${a})`;
}

function lastIndex(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return i;
  return -1;
}

// The y scale for the values about to be drawn: linear, or with `log` a base-10 log scale
// when every value is positive, else a symmetric log (asinh, linear near 0) scale, which
// keeps zero and negative fitness drawable. `note` explains a substitution to the user.
// (Values at or below zero on a log scale, e.g. a CI's lower bound, are clamped by uPlot.)
export function yScale(values, log) {
  if (!log) return { scale: { distr: 1 }, note: null };
  const finite = values.filter((v) => v !== null && Number.isFinite(v));
  if (finite.length === 0 || finite.every((v) => v > 0)) return { scale: { distr: 3, log: 10 }, note: null };
  const nonzero = finite.filter((v) => v !== 0).map(Math.abs);
  const smallest = nonzero.length ? Math.min(...nonzero) : 1;
  const threshold = 10 ** Math.floor(Math.log10(Math.max(smallest, 1e-12)));
  return {
    scale: { distr: 4, asinh: threshold },
    note: `Some values are zero or negative, so the log scale is a symmetric log (asinh): ` +
      `logarithmic in both directions, linear within ±${num(threshold)}.`,
  };
}

// Builds a uPlot in `container` with an HTML legend. `legend` is a list of
// {label, color, dash, values(idx) -> string} rows (idx null: the latest value). Returns {plot, setData, destroy}:
// setData(data, legend) swaps in new data with the same series (labels unchanged).
function mount(container, options, data, legend, onCursor = null) {
  container.replaceChildren();
  const chartBox = h('div', { class: 'chart-canvas' });
  const legendBox = h('div', { class: 'legend', role: 'list' });
  container.append(chartBox, legendBox);
  const valueCells = legend.map((row) => {
    const value = h('span', { class: 'legend-value' });
    legendBox.append(h('span', { class: 'legend-item', role: 'listitem' },
      h('span', { class: `legend-swatch${row.dash ? ' dashed' : ''}`, style: `--swatch: ${row.color}` }),
      h('span', { class: 'legend-label' }, row.label), value));
    return value;
  });
  let rows = legend;
  let length = data[0].length;
  // idx null (cursor outside the plot): each row shows its own latest value.
  const showValues = (idx) => rows.forEach((row, i) => {
    valueCells[i].textContent = row.values(idx === undefined || idx === null || idx >= length ? null : idx);
  });
  const width = () => Math.max(280, chartBox.clientWidth || container.clientWidth || 600);
  const plot = new uPlot({
    ...options,
    width: width(),
    legend: { show: false },
    cursor: { drag: { x: true, y: false }, points: { size: 6 } },
    hooks: { setCursor: [(u) => { showValues(u.cursor.idx); onCursor?.(u); }] },
  }, data, chartBox);
  showValues(null);
  const observer = new ResizeObserver(() => {
    const w = width();
    if (Math.abs(w - plot.width) > 1) plot.setSize({ width: w, height: options.height });
  });
  observer.observe(chartBox);
  return {
    plot,
    setData(next, nextLegend) {
      rows = nextLegend;
      length = next[0].length;
      plot.setData(next);
      showValues(plot.cursor.idx);
    },
    destroy() {
      observer.disconnect();
      plot.destroy();
      container.replaceChildren();
    },
  };
}

// On a log or asinh scale only zero and powers of ten are labelled (the ticks between
// decades stay as unlabelled grid lines); uPlot passes null for splits it filtered out.
function tickLabel(v, logScale) {
  if (v === null || v === undefined) return '';
  if (logScale && v !== 0 && Math.abs(Math.log10(Math.abs(v)) - Math.round(Math.log10(Math.abs(v)))) > 1e-9) return '';
  return num(v, 3);
}

const X_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000];

function axes(xLabel, yLabel, yScaleSpec = { distr: 1 }) {
  const stroke = '#333';
  const grid = { stroke: '#e6e6e6', width: 1 };
  const logScale = yScaleSpec.distr === 3 || yScaleSpec.distr === 4;
  return [
    // Generations are whole numbers: no ticks between them.
    { label: xLabel, stroke, grid, ticks: grid, incrs: X_STEPS },
    { label: yLabel, stroke, grid, ticks: grid, size: 64, values: (u, splits) => splits.map((v) => tickLabel(v, logScale)) },
  ];
}

// What to draw for GET /api/experiments/{id}/curves: uPlot data, series, bands, legend rows,
// y scale, and a signature that is equal when only the values changed. Null when no
// condition has a committed generation. A condition keeps its colour by position.
// Curves of a task whose fitness is minus a loss (fitness_label "loss", e.g. the language
// model), turned into loss curves: every value negated, the CI band's ends swapped.
export function asLoss(curves) {
  const neg = (v) => (v === null || v === undefined ? v : -v);
  return {
    ...curves,
    conditions: (curves.conditions ?? []).map((c) => ({
      ...c,
      mean: c.mean.map(neg),
      lo: c.hi.map(neg),
      hi: c.lo.map(neg),
      runs: (c.runs ?? []).map((r) => ({ ...r, values: r.values.map(neg) })),
    })),
  };
}

export function curveModel(curves, { log, showRuns, band = 't' }) {
  const conditions = curves.conditions.filter((c) => c.generations.length > 0);
  if (conditions.length === 0) return null;
  const xs = [...new Set(conditions.flatMap((c) => c.generations))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const align = (gens, values) => {
    const out = new Array(xs.length).fill(null);
    gens.forEach((g, k) => { out[at.get(g)] = values?.[k] ?? null; });
    return out;
  };
  const data = [xs];
  const series = [{ label: 'generation' }];
  const bands = [];
  const legend = [];
  const plotted = [];
  const runSeries = [];  // {index into data, run, trial, condition}: what a hover can name
  curves.conditions.forEach((c, ci) => {
    if (c.generations.length === 0) return;
    const color = colorAt(ci);
    const mean = align(c.generations, c.mean);
    const b = bandOf(c, band);
    const lo = align(c.generations, b.lo);
    const hi = align(c.generations, b.hi);
    const n = align(c.generations, c.n);
    const base = data.length;
    data.push(mean, lo, hi);
    plotted.push(...mean);  // a CI bound below zero alone does not force asinh: log clamps it
    series.push(
      { label: c.name, stroke: color, width: 2, spanGaps: true, points: { show: false } },
      { label: `${c.name} lo`, stroke: alpha(color, 0.35), width: 1, spanGaps: true, points: { show: false } },
      { label: `${c.name} hi`, stroke: alpha(color, 0.35), width: 1, spanGaps: true, points: { show: false } });
    bands.push({ series: [base + 2, base + 1], fill: alpha(color, 0.16) });
    legend.push({
      label: c.name, color,
      values: (idx) => {
        const i = idx ?? lastIndex(mean);
        if (i < 0 || mean[i] === null) return '';
        return `${idx === null ? `gen ${xs[i]}: ` : ''}${num(mean[i])} [${num(lo[i])}, ${num(hi[i])}] n=${n[i]}`;
      },
    });
    if (showRuns) {
      for (const run of c.runs ?? []) {
        const values = align(c.generations, run.values);
        runSeries.push({ index: data.length, run: run.run, trial: run.trial, condition: c.name });
        data.push(values);
        plotted.push(...values);
        series.push({ label: `${c.name} run ${run.run}`, stroke: alpha(color, 0.5), width: 1, dash: [4, 3], spanGaps: true, points: { show: false } });
      }
    }
  });
  if (showRuns) legend.push({ label: 'single runs', color: '#777', dash: true, values: () => '' });
  const { scale, note } = yScale(plotted, log);
  const signature = JSON.stringify([series.map((s) => s.label), scale]);
  return { data, series, bands, legend, scale, note, signature, runSeries };
}

// The single run whose line is nearest to value `y` at point `idx` (null when none has a
// value there): what the overlay names on hover.
export function nearestRun(model, idx, y) {
  let best = null;
  for (const r of model.runSeries) {
    const v = model.data[r.index][idx];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (best === null || Math.abs(v - y) < best.distance) best = { ...r, value: v, distance: Math.abs(v - y) };
  }
  return best;
}

// The fitness curves of an experiment: per condition the mean across runs with its 95% band
// (band: 't' Student t, 'bootstrap' percentile bootstrap); options: log (bool, see yScale),
// showRuns (bool: each run's own series, dashed; hovering names the nearest run and a click
// opens its page). Returns null when nothing is committed yet, else
// {note, update(curves) -> bool, destroy}. `yLabel` replaces the fitness axis label (cost charts).
export function curveChart(container, curves, { log = false, showRuns = false, band = 't', height = 380, yLabel = null } = {}) {
  let model = curveModel(curves, { log, showRuns, band });
  if (!model) return null;
  let hovered = null;
  const hoverBox = h('div', { class: 'run-hover', 'aria-live': 'polite' });
  const onCursor = (u) => {
    const idx = u.cursor.idx;
    hovered = showRuns && idx !== null && idx !== undefined && u.cursor.top >= 0
      ? nearestRun(model, idx, u.posToVal(u.cursor.top, 'y')) : null;
    hoverBox.replaceChildren(hovered
      ? h('span', {}, 'nearest run: ', h('a', { href: `#/runs/${hovered.run}`, class: 'run-hover-link' }, `run ${hovered.run}`),
        ` (${hovered.condition}, trial ${hovered.trial}): ${num(hovered.value)} at generation ${model.data[0][idx]} · click to open`)
      : (showRuns ? 'Hover a dashed line to name its run.' : ''));
  };
  const build = (m) => {
    const c = mount(container, {
      height, series: m.series, bands: m.bands,
      scales: { x: { time: false }, y: m.scale },
      axes: axes('generation', yLabel ?? `fitness (${curves.metric} of a generation)`, m.scale),
    }, m.data, m.legend, onCursor);
    container.append(hoverBox);
    c.plot.over.addEventListener('click', () => {
      if (hovered) location.hash = `#/runs/${hovered.run}`;
    });
    onCursor(c.plot);
    return c;
  };
  let chart = build(model);
  return {
    note: model.note,
    update(next) {
      const m = curveModel(next, { log, showRuns, band });
      if (!m) return false;
      if (m.signature === model.signature) chart.setData(m.data, m.legend);
      else {
        chart.destroy();
        chart = build(m);
      }
      model = m;
      this.note = m.note;
      return true;
    },
    destroy() {
      chart.destroy();
    },
  };
}

// A line chart of one or more series over a shared x: `lines` = [{label, values, points}].
export function lineChart(container, { x, lines, xLabel, yLabel, height = 240 }) {
  if (x.length === 0) return null;
  const data = [x, ...lines.map((l) => l.values)];
  const series = [{ label: xLabel }, ...lines.map((l, i) => ({
    label: l.label, stroke: colorAt(i), width: 2, spanGaps: true,
    points: { show: l.points ?? x.length <= 60, size: 5, fill: colorAt(i) },
  }))];
  const legend = lines.map((l, i) => ({
    label: l.label, color: colorAt(i),
    values: (idx) => {
      const i = idx ?? lastIndex(l.values);
      return i < 0 ? '' : `${xLabel} ${x[i]}: ${num(l.values[i])}`;
    },
  }));
  return mount(container, { height, series, scales: { x: { time: false }, y: { distr: 1 } }, axes: axes(xLabel, yLabel) }, data, legend);
}
