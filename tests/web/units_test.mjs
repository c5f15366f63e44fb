// The dashboard's pure functions under Node's test runner (CTest: web.units): number
// formatting ("n/a" for null), the log/asinh scale choice, how curves of conditions with
// different generations are aligned into one chart, when and how a page keeps polling and
// what it calls "live", the bootstrap band, the downloads (CSV, LaTeX, SVG) and the tree
// layout.
// Expected values are worked out by hand from the definitions in web/src.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { num, pval, when } from '../../web/src/dom.js';
import { yScale, curveModel, colorAt, nearestRun, asLoss } from '../../web/src/charts.js';
import { isLive, liveStatus, generationRows, experimentTitle } from '../../web/src/runs.js';
import { bootstrapInterval, bandOf, curvesCsv, curvesSvg, comparisonCsv, comparisonLatex, ticks } from '../../web/src/figures.js';
import { layoutTree, viridis, treeXScale } from '../../web/src/tree.js';
import { isActive } from '../../web/src/experiments.js';
import { Poller } from '../../web/src/poller.js';

test('num: 4 significant digits, exponent beyond 1e6 and below 1e-3, n/a for missing', () => {
  const cases = [
    [null, 'n/a'], [undefined, 'n/a'], [NaN, 'n/a'], [Infinity, 'n/a'], [0, '0'], [12, '12'],
    [212.5, '212.5'], [3.14159, '3.142'], [-2.21346, '-2.213'], [1234567, '1.235e6'],
    [0.000123456, '1.235e-4'], [0.5, '0.5'], [999999, '999999'],
  ];
  for (const [value, want] of cases) assert.equal(num(value), want, `num(${value})`);
  assert.equal(num(0.123456, 3), '0.123');
});

test('pval: 3 decimals, exponent below 0.001, n/a for null', () => {
  const cases = [[null, 'n/a'], [NaN, 'n/a'], [0, '0.000'], [1, '1.000'], [0.12, '0.120'], [0.0004, '4.00e-4'], [0.001, '0.001']];
  for (const [value, want] of cases) assert.equal(pval(value), want, `pval(${value})`);
});

test('when: ISO timestamps shortened, anything else shown as it is', () => {
  assert.equal(when('2026-11-24T18:00:00Z'), '2026-11-24 18:00 UTC');
  assert.equal(when('yesterday'), 'yesterday');
  assert.equal(when(null), 'n/a');
});

test('yScale: linear, log10 when all positive, asinh with a decade threshold otherwise', () => {
  const cases = [
    { name: 'linear', values: [-5, 3], log: false, distr: 1, asinh: undefined, note: false },
    { name: 'positive', values: [0.5, 3, null, 200], log: true, distr: 3, asinh: undefined, note: false },
    { name: 'nothing drawn', values: [null], log: true, distr: 3, asinh: undefined, note: false },
    { name: 'negative', values: [-60, -2.5, null], log: true, distr: 4, asinh: 1, note: true },
    { name: 'small magnitudes', values: [-0.05, 0.3, 0], log: true, distr: 4, asinh: 0.01, note: true },
    { name: 'all zero', values: [0, 0], log: true, distr: 4, asinh: 1, note: true },
  ];
  for (const c of cases) {
    const { scale, note } = yScale(c.values, c.log);
    assert.equal(scale.distr, c.distr, c.name);
    if (c.asinh === undefined) assert.equal(scale.asinh, undefined, c.name);
    else assert.ok(Math.abs(scale.asinh - c.asinh) < 1e-12, `${c.name}: asinh ${scale.asinh}`);
    assert.equal(note !== null, c.note, c.name);
  }
});

function curves() {
  return {
    experiment: 1, metric: 'best', conditions: [
      { name: 'factorized', generations: [0, 5, 10], mean: [1, 2, 3], lo: [0.5, 1.5, 2.5], hi: [1.5, 2.5, 3.5], n: [3, 3, 2],
        runs: [{ run: 1, trial: 0, values: [1, 2, 3] }, { run: 2, trial: 1, values: [1, 2, null] }] },
      { name: 'direct', generations: [0, 10], mean: [4, 6], lo: [4, 5], hi: [4, 7], n: [1, 2], runs: [{ run: 3, trial: 0, values: [4, 6] }] },
      { name: 'queued', generations: [], mean: [], lo: [], hi: [], n: [], runs: [] },
    ],
  };
}

test('curveModel: conditions aligned on the union of generations, one CI band each', () => {
  const m = curveModel(curves(), { log: false, showRuns: false });
  assert.deepEqual(m.data[0], [0, 5, 10]);
  assert.deepEqual(m.data.slice(1, 4), [[1, 2, 3], [0.5, 1.5, 2.5], [1.5, 2.5, 3.5]]);
  assert.deepEqual(m.data.slice(4, 7), [[4, null, 6], [4, null, 5], [4, null, 7]]);
  assert.equal(m.data.length, 7, 'a condition without generations draws nothing');
  assert.deepEqual(m.bands.map((b) => b.series), [[3, 2], [6, 5]], 'band from hi down to lo');
  assert.deepEqual(m.series.slice(1).map((s) => s.label), ['factorized', 'factorized lo', 'factorized hi', 'direct', 'direct lo', 'direct hi']);
  assert.equal(m.series[4].stroke, colorAt(1), 'a condition keeps the colour of its position');
  assert.deepEqual(m.legend.map((l) => l.label), ['factorized', 'direct']);
  assert.equal(m.legend[1].values(null), 'gen 10: 6 [5, 7] n=2', 'the latest value when no cursor');
  assert.equal(m.legend[1].values(1), '', 'nothing at a generation the condition lacks');
  assert.equal(m.legend[0].values(0), '1 [0.5, 1.5] n=3');
});

test('curveModel: single runs are extra series; the signature changes with shape, not values', () => {
  const plain = curveModel(curves(), { log: false, showRuns: false });
  const withRuns = curveModel(curves(), { log: false, showRuns: true });
  assert.equal(withRuns.data.length, plain.data.length + 3);
  assert.deepEqual(withRuns.data[5], [1, 2, null], 'run 2 did not reach generation 10');
  assert.equal(withRuns.legend.at(-1).label, 'single runs');
  const moved = curves();
  moved.conditions[0].mean = [7, 8, 9];
  assert.equal(curveModel(moved, { log: false, showRuns: false }).signature, plain.signature);
  assert.notEqual(curveModel(curves(), { log: true, showRuns: false }).signature, plain.signature);
  assert.notEqual(withRuns.signature, plain.signature);
});

test('curveModel: nothing committed yet is null', () => {
  assert.equal(curveModel({ metric: 'best', conditions: [{ name: 'a', generations: [], mean: [], lo: [], hi: [], n: [], runs: [] }] }, {}), null);
});

test('polling: only while a run is queued or running', () => {
  const runs = (...states) => states.map((state) => ({ state }));
  assert.equal(isLive(runs('finished', 'running')), true);
  assert.equal(isLive(runs('queued')), true);
  assert.equal(isLive(runs('finished', 'failed', 'paused')), false);
  assert.equal(isLive([]), false);
  assert.equal(isActive({ queued: 0, running: 1, paused: 0, finished: 3, failed: 0 }), true);
  assert.equal(isActive({ queued: 0, running: 0, paused: 2, finished: 3, failed: 1 }), false);
  assert.equal(isActive(undefined), false);
});

test('Poller: ticks until a tick says stop; a failing tick is reported and polling goes on', async () => {
  const seen = [];
  const errors = [];
  let ticks = 0;
  await new Promise((done) => {
    const poller = new Poller(async () => {
      ticks++;
      seen.push(ticks);
      if (ticks === 2) throw new Error('server restarting');
      if (ticks === 4) {
        setTimeout(done, 30);  // a fifth tick would come within this time
        return false;
      }
      return true;
    }, 0.005, (e) => errors.push(e ? e.message : null));
    poller.start();
    poller.start();  // a second start while running does not double the ticks
  });
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.deepEqual(errors, [null, 'server restarting', null, null]);
});

test('Poller: stop() ends it before the next tick', async () => {
  let ticks = 0;
  const poller = new Poller(async () => ++ticks > 0, 0.005);
  poller.start();
  await new Promise((r) => setTimeout(r, 30));
  poller.stop();
  const at = ticks;
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(at >= 1, `ticked ${at} times`);
  assert.equal(ticks, at);
  assert.equal(poller.running, false);
});

test('asLoss negates a loss task\'s curves and swaps the CI band', () => {
  const curves = { metric: 'best', conditions: [{ name: 'f', generations: [0, 1], mean: [-5, -4], lo: [-6, null], hi: [-4.5, null],
    n: [3, 3], runs: [{ run: 1, trial: 0, values: [-5, null] }] }] };
  const c = asLoss(curves).conditions[0];
  assert.deepEqual(c.mean, [5, 4]);
  assert.deepEqual(c.lo, [4.5, null]);
  assert.deepEqual(c.hi, [6, null]);
  assert.deepEqual(c.runs[0].values, [5, null]);
  assert.deepEqual(curves.conditions[0].mean, [-5, -4]);  // the input is left as it was
});

test('costs: stage count from the conditions, curves parameters and caption of a cost view', async () => {
  const { stageCount, costParams, costCaption } = await import('../../web/src/costs.js');
  assert.equal(stageCount([]), 1);
  assert.equal(stageCount([{ config: { ga: { stages: [{}, {}] } } }, { config: { ga: { stages: [{}] } } }]), 2);
  assert.equal(stageCount([{ config: {} }]), 1);
  assert.deepEqual(costParams({ cost: 'steps', stage: 1, cumulative: true }),
    { metric: 'steps', stage: 1, cumulative: 'true', max_points: 400 });
  assert.deepEqual(costParams({ cost: 'seconds', stage: null, cumulative: false }),
    { metric: 'seconds', stage: undefined, cumulative: undefined, max_points: 400 });
  assert.match(costCaption({ cost: 'steps', stage: 0, cumulative: false }), /environment steps .*\(stage 0\) in each generation/);
  assert.match(costCaption({ cost: 'evaluations', stage: null, cumulative: true }), /\(all stages\) summed from generation 0/);
});

test('availableCosts: no steps chart for tasks without environment steps (issue 20, item 5)', async () => {
  const { availableCosts, COSTS } = await import('../../web/src/costs.js');
  const of = (...types) => types.map((type) => ({ config: { task: { type } } }));
  assert.deepEqual(availableCosts(of('language_model')), ['seconds', 'evaluations']);
  assert.deepEqual(availableCosts(of('sphere', 'rastrigin')), ['seconds', 'evaluations']);
  assert.deepEqual(availableCosts(of('cartpole')), COSTS);
  assert.deepEqual(availableCosts(of('sphere', 'external')), COSTS, 'one task with steps keeps the chart');
  assert.deepEqual(availableCosts([]), COSTS);
});

test('bootstrapInterval: within the observed values, deterministic, near the normal approximation', () => {
  // Mean 3, bootstrap sd of the mean = sqrt(population variance 2 / 5) = 0.632, so the
  // percentile interval is about 3 ± 1.96 · 0.632 = [1.76, 4.24] (by hand; 2,000 resamples
  // and the discreteness of 5 values leave about ±0.2).
  const [lo, hi] = bootstrapInterval([1, 2, 3, 4, 5]);
  assert.ok(Math.abs(lo - 1.76) < 0.2 && Math.abs(hi - 4.24) < 0.2, `[${lo}, ${hi}]`);
  assert.deepEqual(bootstrapInterval([1, 2, 3, 4, 5]), [lo, hi], 'the same every time');
  // Three runs at 0 and one at 100: mean ± t·s/√n reaches below 0; the bootstrap cannot.
  const [a, b] = bootstrapInterval([0, 0, 0, 100]);
  assert.ok(a >= 0 && b <= 100 && a < b, `[${a}, ${b}]`);
  assert.deepEqual(bootstrapInterval([7, 7, 7]), [7, 7]);
  assert.deepEqual(bootstrapInterval([3]), [null, null]);
  assert.deepEqual(bootstrapInterval([3, null]), [null, null]);
});

test('bandOf: the API interval for t, the runs resampled per generation for bootstrap', () => {
  const c = curves().conditions[0];
  assert.deepEqual(bandOf(c, 't'), { lo: c.lo, hi: c.hi });
  const b = bandOf(c, 'bootstrap');
  assert.equal(b.lo.length, 3);
  assert.ok(b.lo[0] >= 1 && b.hi[0] <= 1, 'both runs at 1: the interval is [1, 1]');
  assert.deepEqual([b.lo[2], b.hi[2]], [null, null], 'one run at generation 10: no interval');
  const m = curveModel(curves(), { log: false, showRuns: false, band: 'bootstrap' });
  assert.deepEqual(m.data[2], b.lo);
});

test('nearestRun: the run line closest to the cursor value at a point', () => {
  const m = curveModel(curves(), { log: false, showRuns: true });
  assert.equal(nearestRun(m, 1, 2.1).run, 1, 'runs 1 and 2 are both at 2: the first');
  assert.equal(nearestRun(m, 2, 5).run, 3, 'generation 10: run 1 at 3, run 3 at 6');
  assert.equal(nearestRun(m, 2, 3.2).trial, 0);
  assert.equal(nearestRun(curveModel(curves(), { log: false, showRuns: false }), 0, 1), null);
});

test('liveStatus: live only while a daemon works on a run', () => {
  const now = 1000;
  const run = (state, heartbeat = null) => ({ state, heartbeat });
  assert.equal(liveStatus([run('running', 990), run('queued')], now).kind, 'live');
  assert.equal(liveStatus([run('queued'), run('finished')], now).kind, 'waiting', 'queued and nobody running');
  assert.equal(liveStatus([run('running', 100)], now).kind, 'waiting', 'a stale heartbeat is nobody');
  assert.equal(liveStatus([run('paused'), run('finished')], now).kind, 'paused');
  assert.equal(liveStatus([run('finished'), run('failed')], now).kind, 'done');
  assert.ok(liveStatus([run('queued')], now).text.includes('seedline daemon'));
  // Issue 20: it says what happened, not "finished or failed".
  assert.equal(liveStatus([run('finished'), run('finished')], now).text, 'all runs finished');
  assert.equal(liveStatus([run('failed'), run('failed')], now).text, 'all 2 runs failed');
  assert.equal(liveStatus([run('finished'), run('failed'), run('finished')], now).text, '2 runs finished, 1 failed');
});

test('curvesCsv: one row per run and generation it has a value at', () => {
  const text = curvesCsv(curves());
  const lines = text.trim().split('\n');
  assert.equal(lines[0], 'condition,run,trial,generation,best');
  assert.equal(lines.length, 1 + 3 + 2 + 2, 'run 1: 3 values, run 2: 2 (one null), run 3: 2');
  assert.equal(lines[1], 'factorized,1,0,0,1');
  assert.equal(lines.at(-1), 'direct,3,0,10,6');
  const odd = { metric: 'mean', conditions: [{ name: 'a,"b"', generations: [0], runs: [{ run: 9, trial: 0, values: [1.5] }] }] };
  assert.equal(curvesCsv(odd), 'condition,run,trial,generation,mean\n"a,""b""",9,0,0,1.5\n');
});

const comparison = {
  experiment: 1, experiment_name: 'e', metric: 'best', generation: 4, method: 'auto',
  groups: [{ name: 'fact_2', n: 3, runs_total: 3, compared: true, mean: 2, ci95: [1, 3] },
    { name: 'direct', n: 1, runs_total: 3, compared: false, mean: 5, ci95: [null, null] }],
  kruskal: { H: 4.5, p: 0.0000123 },
  pairs: [{ a: 'fact_2', b: 'direct', mwu: { U: 0, p: 0.1, method: 'exact' }, ranksums: { z: -1.5, p: 0.13 },
    glass_delta: null, a12: 0, p_holm: 0.1 }],
  notes: [],
};

test('comparisonCsv and comparisonLatex: every group and pair, escaped, undefined as empty or --', () => {
  const lines = comparisonCsv(comparison).trim().split('\n');
  assert.equal(lines[0], '# best fitness at generation 4');
  assert.equal(lines[2], 'group,fact_2,3,3,true,2,1,3,,,,,,,');
  assert.equal(lines[3], 'group,direct,1,3,false,5,,,,,,,,,');
  assert.equal(lines[4], 'pair,fact_2 vs direct,,,,,,,0,0.1,exact,0.1,,0,-1.5');
  const tex = comparisonLatex(comparison);
  assert.ok(tex.includes('\\toprule') && tex.includes('\\bottomrule'), tex);
  assert.ok(tex.includes('fact\\_2 & 3 & 2 & [1, 3] \\\\'), tex);
  assert.ok(tex.includes('direct & 1/3 & 5 & [--, --]'), tex);
  assert.ok(tex.includes('$p = 1.23\\times 10^{-5}$'), tex);
  assert.ok(tex.includes('fact\\_2 vs direct & 0 & 0.1 & 0.1 & -- & 0 \\\\'), tex);
});

test('curvesSvg: axes labelled, a legend entry and a mean path per condition', () => {
  const svg = curvesSvg(curves(), { band: 't', showRuns: true, width: 600, height: 400 });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="600" height="400"'));
  assert.ok(svg.includes('>generation</text>') && svg.includes('fitness (best of a generation)'));
  assert.equal((svg.match(/class="mean"/g) ?? []).length, 2, 'the queued condition draws nothing');
  assert.equal((svg.match(/class="legend"/g) ?? []).length, 2);
  assert.equal((svg.match(/class="run"/g) ?? []).length, 3);
  assert.ok(svg.includes('Student t'));
  assert.ok(curvesSvg(curves(), { band: 'bootstrap' }).includes('bootstrap'));
  assert.deepEqual(ticks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(ticks(-0.3, 0.3, 3), [-0.2, 0, 0.2]);
});

test('layoutTree: leaves in depth-first order, each parent centred on its children', () => {
  // 10 -> {11 -> {13, 14}, 12}; 20 a second root with no children.
  const tree = { ids: [10, 11, 12, 13, 14, 20], parents: [-1, 0, 0, 1, 1, -1], generations: [0, 1, 1, 2, 2, 0] };
  const l = layoutTree(tree);
  assert.equal(l.leaves, 4);
  assert.deepEqual([...l.y], [1.25, 0.5, 2, 0, 1, 3]);
  assert.deepEqual([...l.order], [0, 1, 3, 4, 2, 5]);
  assert.equal(viridis(0), 'rgb(68, 1, 84)');
  assert.equal(viridis(1), 'rgb(253, 231, 37)');
});

test('language-model losses: the run page table and the CSV downloads give the positive loss (issue 20, item 5)', () => {
  const gens = [{ generation: 0, best: -3.5, mean: -4, median: -4.25, std: 0.5, best_individual: 7, evaluations: 8, total_seconds: 1 },
    { generation: 1, best: -3, mean: -3.5, median: -3.75, std: 0.25, best_individual: 9, evaluations: 8, total_seconds: 1 }];
  const loss = generationRows(gens, true);
  assert.deepEqual(loss.header.slice(0, 5), ['Generation', 'Best loss', 'Mean loss', 'Median loss', 'Std']);
  assert.deepEqual(loss.rows[0].slice(0, 5), [1, 3, 3.5, 3.75, 0.25], 'newest first, losses positive, std unchanged');
  const plain = generationRows(gens, false);
  assert.deepEqual(plain.header.slice(0, 2), ['Generation', 'Best']);
  assert.deepEqual(plain.rows[1].slice(0, 4), [0, -3.5, -4, -4.25]);
  const lm = { metric: 'best', conditions: [{ name: 'a', generations: [0], runs: [{ run: 1, trial: 0, values: [-2.5] }] }] };
  assert.equal(curvesCsv(lm, { loss: true }), 'condition,run,trial,generation,best,best_loss\na,1,0,0,-2.5,2.5\n');
  const lines = comparisonCsv(comparison, { loss: true }).trim().split('\n');
  assert.ok(lines[0].startsWith('# best fitness at generation 4 (fitness = minus the loss'), lines[0]);
  assert.ok(lines[1].endsWith(',statistic,mean_loss,ci95_lo_loss,ci95_hi_loss'), lines[1]);
  assert.equal(lines[2], 'group,fact_2,3,3,true,2,1,3,,,,,,,,-2,-3,-1');
  assert.equal(lines[4], 'pair,fact_2 vs direct,,,,,,,0,0.1,exact,0.1,,0,-1.5,,,');
});

test('experimentTitle: breadcrumbs and links name the experiment (issue 20, item 11)', () => {
  assert.equal(experimentTitle(3, 'cartpole'), 'cartpole');
  assert.equal(experimentTitle(3, undefined), 'experiment 3');
});

test('treeXScale: a long single-lineage trunk is compressed so the branching uses the width (issue 20, item 11)', () => {
  // A trunk 0 -> 1 -> ... -> 8 (generations 0..80), then node 8 branches into 3 leaves at 90..100.
  const ids = [], parents = [], generations = [];
  for (let i = 0; i <= 8; i++) { ids.push(i); parents.push(i - 1); generations.push(i * 10); }
  for (const g of [90, 95, 100]) { ids.push(ids.length); parents.push(8); generations.push(g); }
  const s = treeXScale({ ids, parents, generations }, 0, 1000);
  assert.equal(s.split, 80);
  assert.equal(s.sx(0), 0);
  assert.equal(s.sx(80), 120, 'the trunk takes 12% of the width');
  assert.equal(s.sx(100), 1000);
  assert.ok(s.sx(90) > 500, 'branching spread over the remaining 88% (was 900 linearly: squeezed at the right)');
  // Branching early (or several roots): linear.
  const early = treeXScale({ ids: [0, 1, 2], parents: [-1, 0, 0], generations: [0, 50, 100] }, 0, 1000);
  assert.equal(early.split, null);
  assert.equal(early.sx(50), 500);
  assert.equal(treeXScale({ ids: [0, 1], parents: [-1, -1], generations: [0, 100] }, 0, 100).split, null);
});
