// The comparison card of an experiment (GET .../compare?metric=&generation=G): a generation
// slider, each condition's values at G, Kruskal-Wallis H and p, and per pair of conditions
// the Mann-Whitney U and p, the Holm-adjusted p, Glass's delta and Vargha-Delaney A12.
// Without a chosen generation it follows the server's default (the newest generation 2 runs
// of every condition have reached; before there is one, nothing is compared and the notes
// say why) as runs progress. While runs go on, the slider reaches up
// to the newest generation any run has committed; at G the server compares the runs that
// reached G, and the table shows n of the condition's runs, marks a condition left out of
// the tests (fewer than 2 runs at G) and prints the server's notes. Statistics that are
// undefined arrive as null: "n/a".
import { getJson } from './api.js';
import { h, num, pval, table, card } from './dom.js';
import { errorBox } from './errors.js';
import { colorAt } from './charts.js';
import { comparisonCsv, comparisonLatex, download } from './figures.js';

const COST_METRICS = ['evaluations', 'steps', 'seconds'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

// `loss`: the task's fitness is minus a loss (the language model): the values are shown as
// the losses they are (positive), like the curves.
function groupsTable(groups, conditionNames, loss = false) {
  const unit = loss ? ' loss' : '';
  return table(['Condition', h('abbr', { title: 'runs that reached this generation / runs of the condition' }, 'n / runs'),
    `Median${unit}`, `Mean${unit}`, `Min${unit}`, `Max${unit}`], groups.map((g) => {
    const values = (g.values ?? []).filter((v) => v !== null).map((v) => (loss ? -v : v));
    const ci = conditionNames.indexOf(g.name);
    const total = g.runs_total ?? values.length;
    return [
      h('span', { class: 'condition' }, h('span', { class: 'legend-swatch', style: `--swatch: ${colorAt(Math.max(ci, 0))}` }), g.name,
        g.compared === false ? h('span', { class: 'muted not-compared' }, ' (not tested: fewer than 2 runs)') : null),
      `${values.length} / ${total}`, num(median(values)), num(mean(values)),
      num(values.length ? Math.min(...values) : null), num(values.length ? Math.max(...values) : null),
    ];
  }), { class: 'groups numeric' });
}

function pairsTable(pairs) {
  const sig = (p) => h('span', { class: p !== null && p !== undefined && p < 0.05 ? 'significant' : '' }, pval(p));
  return table([
    'Pair (a vs b)',
    h('abbr', { title: 'Mann-Whitney U of sample a' }, 'U'),
    h('abbr', { title: 'two-sided Mann-Whitney p-value (method in brackets)' }, 'p'),
    h('abbr', { title: 'p-value adjusted for all pairs (Holm)' }, 'Holm p'),
    h('abbr', { title: "(mean(a) − mean(b)) / sd(b): b is the control" }, "Glass's Δ"),
    h('abbr', { title: 'Vargha-Delaney A12: probability that a value of a beats one of b (ties count half)' }, 'A12'),
  ], pairs.map((p) => [
    `${p.a} vs ${p.b}`,
    num(p.mwu?.U),
    h('span', {}, pval(p.mwu?.p), p.mwu?.method ? h('span', { class: 'muted' }, ` (${p.mwu.method})`) : null),
    sig(p.p_holm),
    num(p.glass_delta, 3),
    num(p.a12, 3),
  ]), { class: 'pairs numeric' });
}

export function comparisonSection(path, conditionNames, { metric, generation, onGeneration, loss = false }) {
  let follow = generation === null || !Number.isInteger(generation);
  let wanted = follow ? 0 : generation;  // the chosen generation, kept while the slider's max grows
  let maxGeneration = -1;
  let seq = 0;
  let debounce = null;
  let lastData = null;  // the comparison shown, for the downloads
  const slider = h('input', {
    type: 'range', min: 0, max: 0, value: follow ? 0 : generation, step: 1, id: 'generation-slider',
    'aria-label': 'Generation',
    oninput: () => {
      follow = false;
      wanted = Number(slider.value);
      label.textContent = slider.value;
      latest.hidden = false;
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        onGeneration(Number(slider.value));
        load();
      }, 150);
    },
  });
  const label = h('output', { class: 'generation-value' }, follow ? '' : String(generation));
  const followNote = h('span', { class: 'muted' });
  const latest = h('button', {
    type: 'button', hidden: follow,
    onclick: () => {
      follow = true;
      latest.hidden = true;
      onGeneration(null);
      load();
    },
  }, 'Latest');
  const body = h('div', { class: 'comparison-body' });
  const save = (kind) => {
    if (!lastData) return;
    const name = `comparison-${lastData.experiment_name ?? lastData.experiment}-${lastData.metric}-gen${lastData.generation}`
      .replace(/[^A-Za-z0-9._-]+/g, '_');
    const asLoss = loss && !COST_METRICS.includes(lastData.metric) && !lastData.evaluator_metric;
    if (kind === 'csv') download(`${name}.csv`, comparisonCsv(lastData, { loss: asLoss }), 'text/csv');
    else download(`${name}.tex`, comparisonLatex(lastData), 'application/x-tex');
  };
  const downloads = h('div', { class: 'controls downloads' }, 'Download the table: ',
    h('button', { type: 'button', class: 'download-comparison-csv', onclick: () => save('csv') }, 'CSV'),
    h('button', { type: 'button', class: 'download-comparison-tex', onclick: () => save('tex') }, 'LaTeX'));
  const element = card('Comparison',
    h('div', { class: 'controls' }, h('label', { class: 'control slider' }, 'Generation ', slider, label), followNote, latest),
    body, downloads);
  element.id = 'comparison';

  function render(data) {
    const k = data.kruskal ?? {};
    const notes = (data.notes ?? []).length
      ? h('ul', { class: 'notes' }, data.notes.map((n) => h('li', {}, n))) : null;
    lastData = data;
    if (data.generation === null || data.generation === undefined) {
      // Before 2 runs of every condition have a generation: the server compares nothing and
      // says why; a table of empty groups would only look like a result.
      body.replaceChildren(h('p', { class: 'empty no-comparison' }, 'Nothing to compare yet.'), notes ?? '');
      return;
    }
    body.replaceChildren(
      h('p', { class: 'stat-line' },
        `${data.evaluator_metric ? `evaluator metric '${data.metric}' of each run's best individual` : `${data.metric} ${loss && !COST_METRICS.includes(data.metric) ? 'loss' : 'fitness'}`} at generation ${data.generation}. Kruskal-Wallis `,
        h('span', { class: 'kruskal' }, `H = ${num(k.H, 3)}, p = ${pval(k.p)}`),
        data.method ? h('span', { class: 'muted' }, ` · Mann-Whitney method: ${data.method}`) : null),
      groupsTable(data.groups ?? [], conditionNames, loss && !COST_METRICS.includes(data.metric)),
      notes ?? '',
      (data.pairs ?? []).length ? pairsTable(data.pairs) : h('p', { class: 'muted no-pairs' }, 'No pair to test at this generation.'),
      h('p', { class: 'note' }, 'p < 0.05 after the Holm adjustment is shown in bold. Glass\'s Δ uses b as the control; ' +
        'A12 > 0.5 means a tends to beat b.' + (loss ? ' U, Δ and A12 are of the fitness (minus the loss): a positive Δ ' +
        'and A12 > 0.5 mean a has the lower loss.' : '')));
  }

  async function load() {
    const mine = ++seq;
    if (maxGeneration < 0) {
      body.replaceChildren(h('p', { class: 'empty' }, 'No generation has been committed yet.'));
      return;
    }
    try {
      const data = await getJson(`${path}/compare`, { metric, generation: follow ? undefined : Number(slider.value) });
      if (mine !== seq) return;
      if (follow && Number.isInteger(data.generation)) {
        slider.value = String(data.generation);
        label.textContent = String(data.generation);
      }
      followNote.textContent = !follow ? ''
        : Number.isInteger(data.generation) ? '(the newest generation 2 runs of every condition have reached)'
          : '(no generation has 2 runs of every condition yet)';
      render(data);
    } catch (e) {
      if (mine !== seq) return;
      followNote.textContent = '';
      body.replaceChildren(errorBox(e, 'Comparison'));
    }
  }

  return {
    element,
    load,
    setMetric(m) {
      metric = m;
      load();
    },
    setMaxGeneration(max) {
      maxGeneration = max;
      slider.max = String(Math.max(0, max));
      slider.disabled = max < 0;
      if (!follow) slider.value = String(wanted);
    },
    dispose() {
      clearTimeout(debounce);
      seq++;
    },
  };
}
