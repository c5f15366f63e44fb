// One run (GET /api/runs/{id}, .../generations and .../tree): its fields, the best/mean/median
// fitness of each generation as a chart and a table, and its family tree pruned to the
// ancestors of the final population, coloured by fitness (tree.js); refreshed while the run
// is live. A run whose fitness is minus a loss (fitness_label "loss": the language model)
// shows the positive losses in the chart and the table, as the experiment's curves do.
import { getJson } from './api.js';
import { h, num, stateBadge, table, card, fields } from './dom.js';
import { errorBox } from './errors.js';
import { Poller } from './poller.js';
import { lineChart } from './charts.js';
import { progress, individualLink, isLive, experimentTitle, generationRows, BEST_CAPTION } from './runs.js';
import { treeSection } from './tree.js';

const POLL_SECONDS = 3;

function runFields(run) {
  return fields([
    ['Experiment', h('a', { href: `#/experiments/${run.experiment}` }, experimentTitle(run.experiment, run.experiment_name))],
    ['Condition', run.condition],
    ['Trial', String(run.trial)],
    ['State', h('span', {}, stateBadge(run.state), run.message ? h('div', { class: 'run-message' }, run.message) : null)],
    ['Progress', progress(run.generation, run.generations)],
    ['Best ever', num(run.best_fitness)],
    ['Final best', num(run.final_best)],
    ['Best individual', individualLink(run.best_individual)],
    ...(run.final_center ? [['Final center (the evolution strategy\'s result)', h('span', {},
      individualLink(run.final_center.id), ` born in generation ${run.final_center.generation}; fitness `,
      run.final_center.fitness === null ? h('span', {}, 'not evaluated (',
        h('code', {}, `seedline evaluate ${run.final_center.id}`), ')') : num(run.final_center.fitness),
      '; export: ', h('code', {}, `seedline genome ${run.final_center.id} --out center.safetensors`))]] : []),
    ['Seed', h('code', {}, run.seed ?? 'n/a')],
    ['Noise version', String(run.noise_version ?? 'n/a')],
    ['Heartbeat', run.heartbeat ? new Date(run.heartbeat * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : 'n/a'],
  ]);
}

export async function renderRun(root, ctx, id) {
  let [run, gens, tree] = await Promise.all([getJson(`/api/runs/${id}`), getJson(`/api/runs/${id}/generations`),
    getJson(`/api/runs/${id}/tree`)]);
  if (!ctx.isCurrent()) return null;
  document.title = `seedline · run ${id}`;
  const fieldsBox = h('div', {});
  const chartBox = h('div', { class: 'chart', id: 'run-chart' });
  const tableBox = h('div', { class: 'scroll' });
  const pollError = h('div', {});
  const treeBox = h('div', { id: 'run-tree' });
  const chartCard = card('Fitness per generation', chartBox);
  const chartTitle = chartCard.querySelector('h2') ?? h('span', {});
  let chart = null;
  const show = () => {
    fieldsBox.replaceChildren(runFields(run));
    const rows = gens.generations ?? [];
    const loss = run.fitness_label === 'loss';
    chart?.destroy();
    chart = lineChart(chartBox, {
      x: rows.map((g) => g.generation),
      lines: ['best', 'mean', 'median'].map((m) => ({ label: m,
        values: rows.map((g) => (g[m] === null || g[m] === undefined ? null : loss ? -g[m] : g[m])), points: false })),
      xLabel: 'generation', yLabel: loss ? 'loss (nats per token)' : 'fitness', height: 300,
    });
    chartTitle.textContent = loss ? 'Loss per generation' : 'Fitness per generation';
    if (!chart) chartBox.replaceChildren(h('p', { class: 'empty' }, 'No generation has been committed yet.'));
    const drawn = treeSection(tree);
    treeBox.replaceChildren(drawn.element);
    drawn.draw();
    const t = generationRows(rows, loss);
    tableBox.replaceChildren(table(t.header, t.rows.map((r) => [String(r[0]), num(r[1]), num(r[2]), num(r[3]), num(r[4]),
      individualLink(r[5]), String(r[6] ?? 'n/a'), num(r[7], 3)]), { class: 'numeric generations' }));
  };
  root.replaceChildren(
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Experiments'), ' / ',
      h('a', { href: `#/experiments/${run.experiment}` }, experimentTitle(run.experiment, run.experiment_name)), ' / ', `run ${id}`),
    h('h1', {}, `Run ${id}`, h('span', { class: 'muted' }, ` · ${run.condition}, trial ${run.trial}`)),
    pollError,
    card('Run', fieldsBox, h('p', { class: 'caption' }, BEST_CAPTION)),
    chartCard,
    card('Family tree (ancestors of the final population)', treeBox),
    card('Generations (newest first)', tableBox));
  show();
  const poller = new Poller(async () => {
    [run, gens, tree] = await Promise.all([getJson(`/api/runs/${id}`), getJson(`/api/runs/${id}/generations`),
      getJson(`/api/runs/${id}/tree`)]);
    if (!ctx.isCurrent()) return false;
    show();
    return isLive([run]);
  }, POLL_SECONDS, (e) => pollError.replaceChildren(e ? errorBox(e, 'Update failed (retrying)') : ''));
  if (isLive([run])) poller.start();
  return () => {
    poller.stop();
    chart?.destroy();
  };
}
