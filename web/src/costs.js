// The cost chart of an experiment page (the paper's Figure 6): per condition and generation,
// the mean evaluations, environment steps or evaluation seconds of the condition's runs
// (GET /api/experiments/{id}/curves with a cost metric), for all stages or one stage,
// per generation or cumulative (docs/statistics.md, "Cost metrics"). The choice lives in
// the page's hash query (cost, stage, cum) like the fitness chart's.
import { getJson } from './api.js';
import { h, card } from './dom.js';
import { errorBox } from './errors.js';
import { curveChart } from './charts.js';

export const COSTS = ['steps', 'seconds', 'evaluations'];
const WHAT = { steps: 'environment steps', seconds: 'evaluation seconds', evaluations: 'evaluations' };

// Tasks that take no environment steps (function tasks score a phenotype once, the language
// model a data set): their steps are 0 every generation, so the chart offers no steps.
const NO_STEPS = ['sphere', 'rastrigin', 'language_model'];

// The costs worth offering for these conditions: without steps when none of their tasks has any.
export function availableCosts(conditions) {
  const types = (conditions ?? []).map((c) => c.config?.task?.type);
  const stepless = types.length > 0 && types.every((t) => NO_STEPS.includes(t));
  return stepless ? COSTS.filter((c) => c !== 'steps') : COSTS;
}

// The stages an experiment's conditions evaluate in: the most any condition's ga has.
export function stageCount(conditions) {
  return Math.max(1, ...(conditions ?? []).map((c) => c.config?.ga?.stages?.length ?? 1));
}

// The query parameters of the curves request for a view {cost, stage, cumulative}.
export function costParams(view) {
  return {
    metric: view.cost,
    stage: view.stage === null ? undefined : view.stage,
    cumulative: view.cumulative ? 'true' : undefined,
    max_points: 400,
  };
}

export function costCaption(view) {
  const what = WHAT[view.cost];
  const stage = view.stage === null ? 'all stages' : `stage ${view.stage}`;
  return `Mean ${what} of each condition's runs (${stage}) ` +
    (view.cumulative ? 'summed from generation 0 to each generation' : 'in each generation') +
    '; shaded: 95% confidence interval of the mean.';
}

// `query`: the page's URLSearchParams; `setQuery`: writes view changes back to the hash.
export function costSection(path, conditions, query, setQuery) {
  const stages = stageCount(conditions);
  const stageParam = query.has('stage') ? Number(query.get('stage')) : null;
  const costs = availableCosts(conditions);
  const view = {
    cost: costs.includes(query.get('cost')) ? query.get('cost') : costs[0],
    stage: Number.isInteger(stageParam) && stageParam >= 0 && stageParam < stages ? stageParam : null,
    cumulative: query.get('cum') === '1',
  };
  const chartBox = h('div', { class: 'chart', id: 'cost-chart' });
  const caption = h('p', { class: 'caption' }, costCaption(view));
  const errorArea = h('div', {});
  let chart = null;
  let controller = null;

  const load = async () => {
    controller?.abort();
    controller = new AbortController();
    try {
      const curves = await getJson(`${path}/curves`, costParams(view), controller.signal);
      errorArea.replaceChildren();
      if (chart && chart.update(curves)) return;
      chart?.destroy();
      chart = curveChart(chartBox, curves, { height: 300, yLabel: WHAT[view.cost] });
      if (!chart) chartBox.replaceChildren(h('p', { class: 'empty' }, 'No generation has been committed yet.'));
    } catch (e) {
      if (e.name === 'AbortError') return;
      errorArea.replaceChildren(errorBox(e, 'Cost per generation'));
    }
  };
  const changed = () => {
    caption.textContent = costCaption(view);
    setQuery({ cost: view.cost === costs[0] ? null : view.cost, stage: view.stage, cum: view.cumulative ? '1' : null });
    chart?.destroy();
    chart = null;
    load();
  };
  const stageOptions = [['all', 'all stages'], ...Array.from({ length: stages }, (_, s) => [String(s), `stage ${s}`])];
  const controls = h('div', { class: 'controls' },
    h('label', { class: 'control' }, 'Cost',
      h('select', { 'aria-label': 'Cost', name: 'cost', onchange: (e) => { view.cost = e.target.value; changed(); } },
        costs.map((c) => h('option', { value: c, selected: c === view.cost }, c)))),
    h('label', { class: 'control' }, 'Stage',
      h('select', {
        'aria-label': 'Stage', name: 'stage',
        onchange: (e) => { view.stage = e.target.value === 'all' ? null : Number(e.target.value); changed(); },
      }, stageOptions.map(([v, label]) => h('option', { value: v, selected: v === String(view.stage ?? 'all') }, label)))),
    h('label', { class: 'control' },
      h('input', { type: 'checkbox', name: 'cumulative', checked: view.cumulative,
        onchange: (e) => { view.cumulative = e.target.checked; changed(); } }), 'Cumulative'));

  return {
    element: card('Cost per generation', controls, caption, errorArea, chartBox),
    load,
    dispose() {
      controller?.abort();
      chart?.destroy();
    },
  };
}
