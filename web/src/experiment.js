// One experiment: the fitness curves per condition (mean and 95% CI band, metric selector,
// log toggle), the cost per generation (steps, seconds or evaluations, per stage: costs.js),
// the statistical comparison at a chosen generation, and the runs with their progress. While any run is queued or running the page polls the server every few
// seconds; it stops once every run is finished, failed or paused.
// View state lives in the hash query (metric, log, runs, gen, cost, stage, cum) so a link
// reproduces it.
import { getJson } from './api.js';
import { h, when, card } from './dom.js';
import { errorBox } from './errors.js';
import { Poller } from './poller.js';
import { curveChart } from './charts.js';
import { comparisonSection } from './comparison.js';
import { costSection } from './costs.js';
import { runsTable, isLive } from './runs.js';

const POLL_SECONDS = 3;
const METRICS = ['best', 'mean', 'median'];

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
  const view = {
    metric: METRICS.includes(ctx.query.get('metric')) ? ctx.query.get('metric') : 'best',
    log: ctx.query.get('log') === '1',
    showRuns: ctx.query.get('runs') === '1',
  };

  // --- fitness curves
  const chartBox = h('div', { class: 'chart', id: 'curves-chart' });
  const caption = h('p', { class: 'caption' });
  const showCaption = () => {
    caption.textContent = `Mean ${view.metric} fitness of each condition's runs per generation; ` +
      'shaded: 95% confidence interval of the mean (Student t).' + (view.showRuns ? ' Dashed: single runs.' : '');
  };
  showCaption();
  const chartNote = h('p', { class: 'note' });
  const chartError = h('div', {});
  let chart = null;
  let lastCurves = null;
  const drawCurves = (curves) => {
    lastCurves = curves;
    if (chart && chart.update(curves)) {
      chartNote.textContent = chart.note ?? '';
      return;
    }
    chart?.destroy();
    chart = curveChart(chartBox, curves, { log: view.log, showRuns: view.showRuns });
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
    select(METRICS, view.metric, (m) => {
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
    checkbox(view.showRuns, (on) => {
      view.showRuns = on;
      showCaption();
      ctx.setQuery({ runs: on ? '1' : null });
      rebuild();
    }, 'Single runs', 'runs'));

  // --- comparison and runs
  const comparison = comparisonSection(path, conditionNames, {
    metric: view.metric,
    generation: ctx.query.has('gen') ? Number(ctx.query.get('gen')) : null,
    onGeneration: (g) => ctx.setQuery({ gen: g }),
  });
  const costs = costSection(path, exp.conditions ?? [], ctx.query, (q) => ctx.setQuery(q));
  const runsBox = h('div', {});
  const liveStatus = h('span', { class: 'live' });
  const pollError = h('div', {});
  const showRuns = () => {
    runsBox.replaceChildren(runsTable(exp.runs ?? []));
    const live = isLive(exp.runs ?? []);
    liveStatus.className = live ? 'live on' : 'live';
    liveStatus.textContent = live ? `live · updating every ${POLL_SECONDS} s` : 'all runs finished, failed or paused';
    comparison.setMaxGeneration(Math.max(-1, ...(exp.runs ?? []).map((r) => r.generation ?? -1)));
  };

  root.replaceChildren(
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Experiments'), ' / ', exp.name),
    h('div', { class: 'title-row' }, h('h1', {}, exp.name), liveStatus),
    summary(exp),
    pollError,
    card('Fitness curves', controls, caption, chartError, chartBox, chartNote),
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
