// The dashboard's pure functions under Node's test runner (CTest: web.units): number
// formatting ("n/a" for null), the log/asinh scale choice, how curves of conditions with
// different generations are aligned into one chart, and when and how a page keeps polling.
// Expected values are worked out by hand from the definitions in web/src.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { num, pval, when } from '../../web/src/dom.js';
import { yScale, curveModel, colorAt } from '../../web/src/charts.js';
import { isLive } from '../../web/src/runs.js';
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
