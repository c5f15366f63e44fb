// One experiment: the settings that differ between its conditions, the fitness curves per
// condition (mean and a 95% band: Student t or percentile bootstrap; metric selector, log
// toggle, single runs named on hover; downloads as SVG, PNG and CSV), the cost per
// generation (steps, seconds or evaluations, per stage: costs.js), the statistical
// comparison at a chosen generation (downloads as CSV and LaTeX), and the runs with their
// progress. While any run is queued or running the page polls the server every few seconds;
// it stops once every run is finished, failed or paused. It says "live" only while a daemon
// works on a run (runs.js liveStatus).
// View state lives in the hash query (metric, log, runs, band, gen, cost, stage, cum) so a link
// reproduces it.
import { getJson } from './api.js';
import { h, when, card, table } from './dom.js';
import { errorBox } from './errors.js';
import { Poller } from './poller.js';
import { curveChart, asLoss } from './charts.js';
import { comparisonSection } from './comparison.js';
import { costSection } from './costs.js';
import { runsTable, isLive, liveStatus } from './runs.js';
import { BAND_LABELS, curvesSvg, curvesCsv, svgToPng, download } from './figures.js';

const POLL_SECONDS = 3;
const METRICS = ['best', 'mean', 'median'];
const BANDS = { 'Student t': 't', bootstrap: 'bootstrap' };
const FIGURE = { width: 720, height: 440 };

// The resolved settings that differ between conditions (GET /api/experiments/{id}
// settings_differ): one row per setting, one column per condition.
function settingsTable(exp) {
  const names = (exp.conditions ?? []).map((c) => c.name);
  const rows = exp.settings_differ ?? [];
  if (names.length < 2) return h('p', { class: 'muted' }, 'One condition: nothing to set apart.');
  if (rows.length === 0) return h('p', { class: 'muted' }, 'The conditions have the same settings.');
  const show = (v) => (v === null || v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v));
  return h('div', { class: 'scroll' }, table(['Setting', ...names],
    rows.map((r) => [h('code', {}, r.setting), ...r.values.map(show)]), { class: 'settings' }),
  h('p', { class: 'caption' }, 'Resolved settings (defaults filled in) that are not the same in every condition; ' +
    '– means the condition does not have it. All settings: seedline show ' + exp.name));
}

function summary(exp) {
  const spec = exp.spec ?? {};
  const ga = spec.ga ?? {};
  const parts = [
    `created ${when(exp.created_at)}`,
    spec.task?.type ? `task ${spec.task.type}` : null,
    `${exp.conditions?.length ?? 0} conditions`,
    spec.trials !== undefined ? `${spec.trials} trials each` : null,
    ga.population !== undefined ? `population ${ga.population}` : null,
    ga.generations !== undefined ? `${ga.generations} generations` : null,
  ].filter(Boolean);
  return h('p', { class: 'subtitle' }, parts.join(' · '));
}

function select(options, value, onchange, label) {
  return h('label', { class: 'control' }, label,
    h('select', { onchange: (e) => onchange(e.target.value), 'aria-label': label },
      options.map((o) => h('option', { value: o, selected: o === value }, o))));
}

function checkbox(checked, onchange, label, name) {
  return h('label', { class: 'control' },
    h('input', { type: 'checkbox', checked, name, onchange: (e) => onchange(e.target.checked) }), label);
}

export async function renderExperiment(root, ctx, key) {
  const path = `/api/experiments/${encodeURIComponent(key)}`;
  let exp = await getJson(path);
  if (!ctx.isCurrent()) return null;
  document.title = `seedline · ${exp.name}`;
  const conditionNames = (exp.conditions ?? []).map((c) => c.name);
  // The evaluator's named metrics (an external task) join the selector; a name that shadows
  // a built-in one is asked for as metric:NAME (docs/statistics.md).
  const named = (exp.metric_names ?? []).map((n) => (METRICS.includes(n) || ['evaluations', 'steps', 'seconds'].includes(n) ? `metric:${n}` : n));
  const metrics = [...METRICS, ...named];
  const isNamed = (m) => named.includes(m);
  const view = {
    metric: metrics.includes(ctx.query.get('metric')) ? ctx.query.get('metric') : 'best',
    log: ctx.query.get('log') === '1',
    showRuns: ctx.query.get('runs') === '1',
    band: ctx.query.get('band') === 'bootstrap' ? 'bootstrap' : 't',
  };

  // --- fitness curves
  const chartBox = h('div', { class: 'chart', id: 'curves-chart' });
  const caption = h('p', { class: 'caption', id: 'curves-caption' });
  const loss = exp.fitness_label === 'loss';  // e.g. the language model: plot -fitness, like the paper
  const showCaption = () => {
    const quantity = loss ? 'loss (minus fitness, nats per token)' : 'fitness';
    const what = isNamed(view.metric)
      ? `the evaluator's metric '${view.metric}' of each generation's best individual`
      : view.metric === 'best'
        ? `each generation's best ${quantity} (its best individual's in that generation, not the best so far)`
        : `each generation's ${view.metric} ${quantity}`;
    caption.textContent = `Lines: the mean over a condition's runs of ${what}; shaded: ${BAND_LABELS[view.band]}.` +
      (view.showRuns ? ' Dashed: single runs (hover to name one, click to open it).' : '');
  };
  showCaption();
  const chartNote = h('p', { class: 'note' });
  const chartError = h('div', {});
  let chart = null;
  let lastCurves = null;
  const drawCurves = (received) => {
    const curves = loss && !isNamed(view.metric) ? asLoss(received) : received;
    lastCurves = received;
    if (chart && chart.update(curves)) {
      chartNote.textContent = chart.note ?? '';
      return;
    }
    chart?.destroy();
    chart = curveChart(chartBox, curves, { log: view.log, showRuns: view.showRuns, band: view.band,
      yLabel: loss ? `loss (${view.metric} of a generation, nats per token)` : undefined });
    if (!chart) chartBox.replaceChildren(h('p', { class: 'empty' }, 'No generation has been committed yet.'));
    chartNote.textContent = chart?.note ?? '';
  };
  const loadCurves = async () => {
    try {
      drawCurves(await getJson(`${path}/curves`, { metric: view.metric, max_points: 400 }));
      chartError.replaceChildren();
    } catch (e) {
      chartError.replaceChildren(errorBox(e, 'Fitness curves'));
    }
  };
  const rebuild = () => {  // options changed: a new chart
    chart?.destroy();
    chart = null;
    if (lastCurves) drawCurves(lastCurves);
  };
  const controls = h('div', { class: 'controls' },
    select(metrics, view.metric, (m) => {
      view.metric = m;
      showCaption();
      ctx.setQuery({ metric: m === 'best' ? null : m });
      chart?.destroy();
      chart = null;
      loadCurves();
      comparison.setMetric(m);
    }, 'Metric'),
    checkbox(view.log, (on) => {
      view.log = on;
      ctx.setQuery({ log: on ? '1' : null });
      rebuild();
    }, 'Log scale', 'log'),
    select(Object.keys(BANDS), Object.keys(BANDS).find((k) => BANDS[k] === view.band), (label) => {
      view.band = BANDS[label];
      showCaption();
      ctx.setQuery({ band: view.band === 't' ? null : view.band });
      rebuild();
    }, 'Band'),
    checkbox(view.showRuns, (on) => {
      view.showRuns = on;
      showCaption();
      ctx.setQuery({ runs: on ? '1' : null });
      rebuild();
    }, 'Single runs', 'runs'));
  const figureStatus = h('span', { class: 'muted figure-status' });
  const saveFigure = async (kind) => {
    if (!lastCurves) return;
    const name = `${exp.name}-${view.metric}`.replace(/[^A-Za-z0-9._-]+/g, '_');
    try {
      const svg = curvesSvg(lastCurves, { band: view.band, showRuns: view.showRuns, ...FIGURE });
      if (kind === 'svg') download(`${name}.svg`, svg, 'image/svg+xml');
      else if (kind === 'png') download(`${name}.png`, await svgToPng(svg, { ...FIGURE, scale: 2 }));
      else download(`${name}.csv`, curvesCsv(lastCurves, { loss: loss && !isNamed(view.metric) }), 'text/csv');
      figureStatus.textContent = '';
    } catch (e) {
      figureStatus.textContent = `Download failed: ${e.message}`;
    }
  };
  const downloads = h('div', { class: 'controls downloads' }, 'Download the curves: ',
    ['svg', 'png', 'csv'].map((k) => h('button', { type: 'button', class: `download-curves-${k}`, onclick: () => saveFigure(k) },
      k === 'csv' ? 'CSV (every run)' : k.toUpperCase())), figureStatus);

  // --- comparison and runs
  const comparison = comparisonSection(path, conditionNames, {
    metric: view.metric,
    generation: ctx.query.has('gen') ? Number(ctx.query.get('gen')) : null,
    onGeneration: (g) => ctx.setQuery({ gen: g }),
    loss,
  });
  const costs = costSection(path, exp.conditions ?? [], ctx.query, (q) => ctx.setQuery(q));
  const runsBox = h('div', {});
  const liveBadge = h('span', { class: 'live' });
  const pollError = h('div', {});
  const showRuns = () => {
    runsBox.replaceChildren(runsTable(exp.runs ?? []));
    const status = liveStatus(exp.runs ?? []);
    liveBadge.className = `live ${status.kind}${status.kind === 'live' ? ' on' : ''}`;
    liveBadge.textContent = status.text + (isLive(exp.runs ?? []) ? ` · checking every ${POLL_SECONDS} s` : '');
    comparison.setMaxGeneration(Math.max(-1, ...(exp.runs ?? []).map((r) => r.generation ?? -1)));
  };

  root.replaceChildren(
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Experiments'), ' / ', exp.name),
    h('div', { class: 'title-row' }, h('h1', {}, exp.name), liveBadge),
    summary(exp),
    pollError,
    h('section', { class: 'card', id: 'settings' }, h('h2', {}, 'Settings that differ'), settingsTable(exp)),
    card(loss ? 'Loss curves' : 'Fitness curves', controls, caption, chartError, chartBox, chartNote, downloads),
    costs.element,
    comparison.element,
    card('Runs', runsBox));
  showRuns();
  await Promise.all([loadCurves(), costs.load(), comparison.load()]);

  const poller = new Poller(async () => {
    exp = await getJson(path);
    if (!ctx.isCurrent()) return false;
    showRuns();
    await Promise.all([loadCurves(), costs.load(), comparison.load()]);
    return isLive(exp.runs ?? []);
  }, POLL_SECONDS, (e) => pollError.replaceChildren(e ? errorBox(e, 'Update failed (retrying)') : ''));
  if (isLive(exp.runs ?? [])) poller.start();

  return () => {
    poller.stop();
    chart?.destroy();
    costs.dispose();
    comparison.dispose();
  };
}
