// One individual (GET /api/individuals/{id}): its fields, its children, its lineage
// (.../lineage: the ancestor path from the root to it) drawn as fitness along the path and
// listed as a table, and downloads of its rebuilt genome as safetensors or .npy.
import { getJson, downloadGenome } from './api.js';
import { h, num, table, card, fields } from './dom.js';
import { errorBox } from './errors.js';
import { lineChart } from './charts.js';
import { experimentTitle } from './runs.js';

function individualFields(ind) {
  const link = (id) => (id === null || id === undefined ? 'none (a root)' : h('a', { href: `#/individuals/${id}` }, `#${id}`));
  return fields([
    ['Experiment', h('a', { href: `#/experiments/${ind.experiment}` }, experimentTitle(ind.experiment, ind.experiment_name))],
    ['Run', h('a', { href: `#/runs/${ind.run}` }, `run ${ind.run}`)],
    ['Condition', ind.condition ?? 'n/a'],
    ['Born in generation', String(ind.generation)],
    ['Parent', link(ind.parent)],
    ['Seed', h('code', {}, ind.seed ?? 'n/a')],
    ['Fitness (stored, birth generation)', num(ind.fitness)],
    ...((ind.elite_bests ?? []).length ? [['Best of a later generation (as an elite, re-evaluated on new episodes)',
      ind.elite_bests.map((g) => `${num(g.fitness)} (generation ${g.generation})`).join(', ')]] : []),
    ['Checksum (xxh64)', ind.checksum ? h('code', {}, ind.checksum) : 'n/a (not stored for this individual)'],
    ['Snapshot stored', ind.snapshot ? 'yes' : 'no'],
    ...(ind.es_role ? [['Evolution strategy', ind.es_role === 'center'
      ? 'a center: its parent center plus one update; its children born in its own generation are its members, the one born the next generation is the next center'
      : 'a member: its parent center plus a signed perturbation drawn from its seed']] : []),
  ]);
}

// Stored fitness vs re-measured: a run's best is the maximum of noisy estimates (biased
// upward); `seedline evaluate` re-measures the individual on fresh episodes (unbiased).
function reevaluations(ind) {
  const list = ind.reevaluations ?? [];
  const note = h('p', { class: 'note' },
    'The stored fitness was measured during evolution, in the birth generation; a run\'s best is the largest of many ',
    'noisy estimates and so biased upward. A re-measurement runs the same individual on fresh episodes: an unbiased estimate.');
  if (list.length === 0) {
    return h('div', {}, note, h('p', {}, 'Not re-measured yet: ', h('code', {}, `seedline evaluate ${ind.id} --episodes 100`)));
  }
  const ci = (r) => (r.ci95?.[0] === null || r.ci95?.[0] === undefined ? 'n/a' : `[${num(r.ci95[0])}, ${num(r.ci95[1])}]`);
  // An external evaluator's named metrics (mean over the episodes that reported each), one column.
  const withMetrics = list.some((r) => Object.keys(r.metrics ?? {}).length > 0);
  const metrics = (r) => Object.entries(r.metrics ?? {})
    .map(([name, m]) => `${name} ${num(m.mean)}` + (m.episodes !== r.episodes ? ` (${m.episodes} ep.)` : '')).join(', ') || '-';
  const rows = list.map((r) => [r.created_at, h('code', {}, r.seed), String(r.episodes), num(r.mean), num(r.std), ci(r), String(r.steps)]
    .concat(withMetrics ? [metrics(r)] : []));
  const head = ['When (UTC)', 'Seed', 'Episodes', 'Re-measured mean', 'Std', '95% CI', 'Steps'].concat(withMetrics ? ['Evaluator metrics'] : []);
  return h('div', {}, note, table(head, rows, { class: 'reevaluations numeric' }));
}

function downloads(ind) {
  const status = h('div', { class: 'download-status' });
  const phenotype = h('input', { type: 'checkbox', name: 'phenotype' });
  const button = (format) => h('button', {
    type: 'button', class: `download download-${format}`,
    onclick: async (e) => {
      const btn = e.currentTarget;
      btn.disabled = true;
      status.replaceChildren(`Rebuilding individual #${ind.id}…`);
      try {
        const got = await downloadGenome(ind.id, format, phenotype.checked);
        const matches = got.checksum && ind.checksum && !phenotype.checked
          ? (got.checksum === ind.checksum ? ' (matches the stored checksum)' : ' (differs from the stored checksum!)') : '';
        status.replaceChildren(`Saved ${got.filename}, ${got.bytes} bytes` + (got.checksum ? `, checksum ${got.checksum}${matches}` : '') + '.');
      } catch (err) {
        status.replaceChildren(errorBox(err, 'Genome download'));
      } finally {
        btn.disabled = false;
      }
    },
  }, `Download .${format}`);
  return h('div', {},
    h('div', { class: 'controls' }, button('safetensors'), button('npy'),
      h('label', { class: 'control' }, phenotype, 'phenotype (developed weights, e.g. A·B) instead of genotype')),
    status);
}

function lineageSection(lineage, selfId) {
  const path = lineage.path ?? [];
  const chartBox = h('div', { class: 'chart', id: 'lineage-chart' });
  const rows = path.map((p) => [
    String(p.generation),
    p.id === selfId ? h('strong', {}, `#${p.id}`) : h('a', { href: `#/individuals/${p.id}` }, `#${p.id}`),
    p.parent === null || p.parent === undefined ? 'root' : `#${p.parent}`,
    h('code', {}, p.seed ?? 'n/a'),
    num(p.fitness),
  ]);
  const element = card(`Lineage (${path.length} ${path.length === 1 ? 'individual' : 'individuals'}, root first)`,
    chartBox,
    h('div', { class: 'scroll' }, table(['Generation', 'Individual', 'Parent', 'Seed', 'Fitness'], rows, { class: 'lineage numeric' })));
  element.id = 'lineage';
  return {
    element,
    draw() {
      return lineChart(chartBox, {
        x: path.map((p) => p.generation),
        lines: [{ label: 'fitness along the ancestor path', values: path.map((p) => p.fitness ?? null) }],
        xLabel: 'generation', yLabel: 'fitness', height: 220,
      });
    },
  };
}

function childrenSection(ind) {
  const children = ind.children ?? [];
  const element = card(`Children (${children.length})`, children.length === 0
    ? h('p', { class: 'muted' }, 'No children: no individual has this one as its parent' +
      ' (an elite carried into later generations stays this same individual).')
    : h('div', { class: 'scroll' }, table(['Individual', 'Born in generation', 'Fitness'], children.map((c) => [
      h('a', { href: `#/individuals/${c.id}` }, `#${c.id}`), String(c.generation), num(c.fitness)]),
    { class: 'children-table numeric' })));
  element.id = 'children';
  return element;
}

export async function renderIndividual(root, ctx, id) {
  const ind = await getJson(`/api/individuals/${id}`);
  if (!ctx.isCurrent()) return null;
  document.title = `seedline · individual ${id}`;
  const lineageBox = h('div', {}, h('p', { class: 'loading' }, 'Loading lineage…'));
  root.replaceChildren(
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Experiments'), ' / ',
      h('a', { href: `#/experiments/${ind.experiment}` }, experimentTitle(ind.experiment, ind.experiment_name)), ' / ',
      h('a', { href: `#/runs/${ind.run}` }, `run ${ind.run}`), ' / ', `individual ${id}`),
    h('h1', {}, `Individual #${id}`),
    card('Individual', individualFields(ind)),
    card('Re-measured fitness', reevaluations(ind)),
    card('Genome', downloads(ind)),
    childrenSection(ind),
    lineageBox);
  let chart = null;
  try {
    const lineage = await getJson(`/api/individuals/${id}/lineage`);
    if (!ctx.isCurrent()) return null;
    const section = lineageSection(lineage, id);
    lineageBox.replaceChildren(section.element);
    chart = section.draw();
  } catch (e) {
    lineageBox.replaceChildren(errorBox(e, 'Lineage'));
  }
  return () => chart?.destroy();
}
