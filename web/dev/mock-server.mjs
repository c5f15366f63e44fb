// A development stand-in for `seedline serve`: answers the endpoints of docs/http-api.md with
// synthetic data of the same shape and serves web/dist/, so the dashboard can be worked on
// (and its browser test run with SEEDLINE_WEB_TEST_MOCK=1) without a built seedline.
//
//   node web/dev/mock-server.mjs [--port 8080] [--dist web/dist] [--speed 0.4] [--time T]
//
// Two experiments: "cartpole-demo" (3 conditions x 3 trials x 30 generations) whose runs
// progress in real time (one generation every --speed seconds, staggered starts, one run
// failing), and "smoke" (2 x 2 x 12, finished, negative fitness like the sphere task).
// --time T freezes the clock T seconds after start (deterministic screenshots).
// Prints "mock: serving http://127.0.0.1:PORT/" once listening. The statistics are computed
// with textbook formulas good enough to look at; the real numbers come from src/stats.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs(process.argv.slice(2));
const dist = resolve(args.dist ?? join(here, '..', 'dist'));
const speed = Number(args.speed ?? 0.4);
const started = Date.now();
const elapsed = () => (args.time !== undefined ? Number(args.time) : (Date.now() - started) / 1000);

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) {
      console.error(`mock: usage: mock-server.mjs [--port N] [--dist DIR] [--speed S] [--time T] (bad argument ${argv[i]})`);
      process.exit(2);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

// --- synthetic data -----------------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXPERIMENTS = [
  {
    id: 1, name: 'cartpole-demo', created_at: '2026-11-24T18:00:00Z', trials: 3, generations: 30,
    live: true,
    spec: {
      name: 'cartpole-demo', seed: 7, trials: 3, task: { type: 'cartpole', episodes: 2 },
      network: [{ type: 'dense', out: 32, activation: 'relu' }, { type: 'dense', out: 2 }],
      ga: { population: 64, truncation: 8, elites: 1, generations: 30, mutation_rate: 0.01 },
      conditions: [
        { name: 'factorized', representation: { type: 'factorized', rank: 1 } },
        { name: 'direct', representation: { type: 'direct' } },
        { name: 'small', representation: { type: 'direct' } },
      ],
    },
    // per condition: [start, ceiling, rate] of a saturating curve
    model: { factorized: [20, 480, 0.16], direct: [20, 300, 0.08], small: [15, 200, 0.1] },
  },
  {
    id: 2, name: 'smoke', created_at: '2026-11-25T09:30:00Z', trials: 2, generations: 12,
    live: false,
    spec: {
      name: 'smoke', seed: 1, trials: 2, task: { type: 'sphere' },
      network: [{ type: 'dense', in: 8, out: 8, bias: false }],
      ga: { population: 24, truncation: 6, elites: 1, generations: 12, mutation_rate: 0.05 },
      conditions: [
        { name: 'factorized', representation: { type: 'factorized', rank: 2 } },
        { name: 'direct', representation: { type: 'direct' } },
      ],
    },
    model: { factorized: [-60, -2, 0.35], direct: [-60, -9, 0.2] },
  },
];

const runs = [];  // static part of every run, with its full generation history
for (const exp of EXPERIMENTS) {
  exp.conditionNames = exp.spec.conditions.map((c) => c.name);
  exp.conditionNames.forEach((cond, ci) => {
    for (let trial = 0; trial < exp.trials; trial++) {
      const id = runs.length + 1;
      const rnd = mulberry32(id * 7919);
      const [start, ceiling, rate] = exp.model[cond];
      const history = [];
      let best = -Infinity;
      for (let g = 0; g < exp.generations; g++) {
        const level = ceiling - (ceiling - start) * Math.exp(-rate * (1 + 0.3 * rnd()) * g);
        const noise = (rnd() - 0.5) * Math.abs(ceiling - start) * 0.08;
        best = Math.max(best, level + noise);
        const mean = best - Math.abs(ceiling - start) * (0.25 + 0.1 * rnd());
        // Costs: two stages of 64 and 32 episodes whose lengths grow with fitness.
        const stages = [64, 32].map((evaluations) => ({ evaluations, steps: Math.round(evaluations * (20 + Math.max(0, mean))) }));
        stages.forEach((st) => { st.seconds = st.steps * 2e-5; });
        history.push({ best, mean, median: (best + mean) / 2 + Math.abs(mean) * 0.05 * rnd(), stages });
      }
      runs.push({
        id, exp, condition: cond, trial, history,
        startDelay: (ci * exp.trials + trial) * 0.6,
        failAt: exp.live && cond === 'small' && trial === 2 ? 12 : null,
      });
    }
  });
}

// The state of a run at the current (possibly frozen) time.
function runNow(run) {
  const total = run.exp.generations;
  let generation = total - 1;
  let state = 'finished';
  let message = null;
  if (run.exp.live) {
    const t = elapsed() - run.startDelay;
    if (t < 0) {
      generation = -1;
      state = 'queued';
    } else {
      generation = Math.min(total - 1, Math.floor(t / speed));
      state = generation >= total - 1 ? 'finished' : 'running';
    }
    if (run.failAt !== null && generation >= run.failAt) {
      generation = run.failAt;
      state = 'failed';
      message = 'task: episode produced a non-finite reward (nan) at generation 13';
    }
  }
  return { generation, state, message };
}

const individualId = (run, g) => run.id * 1000 + g;

function runJson(run) {
  const { generation, state, message } = runNow(run);
  let bestG = -1;
  for (let g = 0; g <= generation; g++) if (bestG < 0 || run.history[g].best > run.history[bestG].best) bestG = g;
  return {
    id: run.id, experiment: run.exp.id, condition: run.condition, trial: run.trial, state,
    generation, generations: run.exp.generations,
    best_fitness: bestG < 0 ? null : run.history[bestG].best,
    best_individual: bestG < 0 ? null : individualId(run, bestG),
    seed: String(BigInt(run.id) * 1234567890123n), noise_version: 1, message,
    heartbeat: state === 'running' ? started / 1000 + elapsed() : null,
  };
}

function experimentSummary(exp) {
  const states = { queued: 0, running: 0, paused: 0, finished: 0, failed: 0 };
  const own = runs.filter((r) => r.exp === exp);
  for (const r of own) states[runNow(r).state]++;
  return { id: exp.id, name: exp.name, created_at: exp.created_at, conditions: exp.conditionNames, runs: own.length, states };
}

function findExperiment(key) {
  const exp = EXPERIMENTS.find((e) => String(e.id) === key || e.name === key);
  if (!exp) throw new HttpError(404, 'not_found', `experiment ${key} does not exist`);
  return exp;
}

function findIndividual(key) {
  const id = Number(key);
  const run = Number.isInteger(id) ? runs.find((r) => r.id === Math.floor(id / 1000)) : undefined;
  const g = id % 1000;
  if (!run || g > runNow(run).generation) throw new HttpError(404, 'not_found', `individual ${key} does not exist`);
  return { run, g };
}

function individualJson(run, g) {
  return {
    id: individualId(run, g), run: run.id, experiment: run.exp.id, condition: run.condition, generation: g,
    parent: g === 0 ? null : individualId(run, g - 1), seed: String(BigInt(individualId(run, g)) * 2654435761n),
    fitness: run.history[g].best, checksum: (individualId(run, g) * 2654435761).toString(16).padStart(16, '0').slice(-16),
    snapshot: g % 10 === 0,
  };
}

// --- statistics (textbook formulas) -------------------------------------------------------

const T975 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

function erfc(x) {  // Numerical Recipes' erfcc, |error| < 1.2e-7
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

function chi2Sf(x, k) {  // upper tail of chi-square with k degrees of freedom (series for P(k/2, x/2))
  const a = k / 2;
  const y = x / 2;
  if (y <= 0) return 1;
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 500; n++) {
    term *= y / (a + n);
    sum += term;
  }
  const lgamma = (z) => {  // Lanczos, enough for half-integers
    const c = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
    let ser = 1.000000000190015;
    for (let j = 0; j < 6; j++) ser += c[j] / (z + j + 1);
    return (z + 0.5) * Math.log(z + 5.5) - (z + 5.5) + Math.log((2.5066282746310005 * ser) / z);
  };
  return Math.max(0, 1 - sum * Math.exp(-y + a * Math.log(y) - lgamma(a)));
}

function ranks(values) {
  const order = values.map((v, i) => [v, i]).sort((p, q) => p[0] - q[0]);
  const r = new Array(values.length);
  const ties = [];
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    ties.push(j - i + 1);
    i = j + 1;
  }
  return { r, ties };
}

function compareGroups(groups) {
  const all = groups.flatMap((g) => g.values);
  const N = all.length;
  const { r, ties } = ranks(all);
  let offset = 0;
  let H = 0;
  for (const g of groups) {
    const rs = r.slice(offset, offset + g.values.length);
    offset += g.values.length;
    H += rs.reduce((a, b) => a + b, 0) ** 2 / g.values.length;
  }
  H = (12 / (N * (N + 1))) * H - 3 * (N + 1);
  const tieCorrection = 1 - ties.reduce((a, t) => a + t ** 3 - t, 0) / (N ** 3 - N);
  H = tieCorrection > 0 ? H / tieCorrection : null;
  const pairs = [];
  for (let i = 0; i < groups.length; i++) {
    for (let j = i + 1; j < groups.length; j++) {
      const a = groups[i].values;
      const b = groups[j].values;
      const { r: pr } = ranks([...a, ...b]);
      const U = pr.slice(0, a.length).reduce((s, x) => s + x, 0) - (a.length * (a.length + 1)) / 2;
      const mu = (a.length * b.length) / 2;
      const sigma = Math.sqrt((a.length * b.length * (a.length + b.length + 1)) / 12);
      const z = sigma > 0 ? (Math.abs(U - mu) - 0.5) / sigma : 0;
      const p = Math.min(1, erfc(Math.max(0, z) / Math.SQRT2));
      const sdB = b.length > 1 ? sd(b) : 0;
      pairs.push({
        a: groups[i].name, b: groups[j].name, mwu: { U, p, method: 'asymptotic' },
        ranksums: { z: (U - mu) / sigma, p }, glass_delta: sdB > 0 ? (mean(a) - mean(b)) / sdB : null,
        a12: U / (a.length * b.length), p_holm: p,
      });
    }
  }
  const order = pairs.map((_, i) => i).sort((x, y) => pairs[x].mwu.p - pairs[y].mwu.p);
  let running = 0;
  order.forEach((idx, k) => {
    running = Math.max(running, Math.min(1, (pairs.length - k) * pairs[idx].mwu.p));
    pairs[idx].p_holm = running;
  });
  return { kruskal: { H, p: H === null ? null : chi2Sf(H, groups.length - 1) }, pairs };
}

// --- endpoints ----------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const COSTS = ['evaluations', 'steps', 'seconds'];

function metricParam(url) {
  const metric = url.searchParams.get('metric') ?? 'best';
  if (![...['best', 'mean', 'median'], ...COSTS].includes(metric)) {
    throw new HttpError(400, 'bad_parameter', `metric must be best, mean, median, evaluations, steps or seconds, not "${metric}"`);
  }
  return metric;
}

// A run's value of `metric` at generation g (cost metrics: one stage or all, cumulative or not).
function valueAt(run, g, metric, url) {
  if (!COSTS.includes(metric)) return run.history[g][metric];
  const stage = url.searchParams.has('stage') ? Number(url.searchParams.get('stage')) : null;
  const cumulative = url.searchParams.get('cumulative') === 'true';
  let sum = 0;
  for (let k = cumulative ? 0 : g; k <= g; k++) {
    const st = run.history[k].stages;
    sum += stage === null ? st.reduce((a, s) => a + s[metric], 0) : (st[stage]?.[metric] ?? 0);
  }
  return sum;
}

function curves(exp, url) {
  const metric = metricParam(url);
  const maxPoints = Number(url.searchParams.get('max_points') ?? 200);
  if (!Number.isInteger(maxPoints) || maxPoints < 2 || maxPoints > 10000) {
    throw new HttpError(400, 'bad_parameter', `max_points must be an integer in 2..10000, not "${url.searchParams.get('max_points')}"`);
  }
  const conditions = exp.conditionNames.map((name) => {
    const own = runs.filter((r) => r.exp === exp && r.condition === name).map((r) => ({ run: r, now: runNow(r) }));
    const last = Math.max(-1, ...own.map((o) => o.now.generation));
    let gens = Array.from({ length: last + 1 }, (_, g) => g);
    if (gens.length > maxPoints) {
      const picked = new Set();
      for (let k = 0; k < maxPoints; k++) picked.add(gens[Math.round((k * (gens.length - 1)) / (maxPoints - 1))]);
      gens = [...picked];
    }
    const out = { name, generations: gens, mean: [], lo: [], hi: [], n: [], runs: [] };
    for (const g of gens) {
      const xs = own.filter((o) => o.now.generation >= g).map((o) => valueAt(o.run, g, metric, url));
      const m = mean(xs);
      const half = xs.length < 2 ? 0 : (T975[Math.min(xs.length - 1, 10)] * sd(xs)) / Math.sqrt(xs.length);
      out.mean.push(m);
      out.lo.push(m - half);
      out.hi.push(m + half);
      out.n.push(xs.length);
    }
    for (const o of own) {
      out.runs.push({ run: o.run.id, trial: o.run.trial, values: gens.map((g) => (g <= o.now.generation ? valueAt(o.run, g, metric, url) : null)) });
    }
    return out;
  });
  return { experiment: exp.id, metric, conditions };
}

function compare(exp, url) {
  const metric = metricParam(url);
  const method = url.searchParams.get('method') ?? 'auto';
  const own = runs.filter((r) => r.exp === exp);
  const common = Math.min(...own.map((r) => runNow(r).generation));
  let generation = common;
  if (url.searchParams.has('generation')) {
    generation = Number(url.searchParams.get('generation'));
    if (!Number.isInteger(generation) || generation < 0) {
      throw new HttpError(400, 'bad_parameter', `generation must be a non-negative integer, not "${url.searchParams.get('generation')}"`);
    }
  }
  if (generation < 0) throw new HttpError(400, 'bad_parameter', `no generation has been committed by every run of experiment ${exp.name} yet`);
  const groups = exp.conditionNames.map((name) => ({
    name,
    values: own.filter((r) => r.condition === name && runNow(r).generation >= generation).map((r) => r.history[generation][metric]),
  }));
  if (groups.some((g) => g.values.length === 0)) {
    throw new HttpError(400, 'bad_parameter', `generation ${generation} has not been reached by any run of condition "${groups.find((g) => g.values.length === 0).name}"`);
  }
  return { experiment: exp.id, metric, generation, method, groups, ...compareGroups(groups) };
}

function genome(run, g, url) {
  const format = url.searchParams.get('format') ?? 'safetensors';
  if (!['safetensors', 'npy'].includes(format)) throw new HttpError(400, 'bad_parameter', `format must be safetensors or npy, not "${format}"`);
  const values = new Float32Array(16).map((_, i) => Math.sin(individualId(run, g) + i));
  let body;
  if (format === 'npy') {
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (16,), }";
    header = header.padEnd(118, ' ') + '\n';
    body = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, header.length, 0]), Buffer.from(header), Buffer.from(values.buffer)]);
  } else {
    const header = Buffer.from(JSON.stringify({ 'layer0.weight': { dtype: 'F32', shape: [16], data_offsets: [0, 64] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    body = Buffer.concat([len, header, Buffer.from(values.buffer)]);
  }
  return {
    body,
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="individual-${individualId(run, g)}.${format}"`,
      'X-Seedline-Checksum': individualJson(run, g).checksum,
    },
  };
}

function route(url) {
  const parts = url.pathname.split('/').filter(Boolean).slice(1);  // after "api"
  const [kind, key, sub] = parts;
  if (kind === 'health' && parts.length === 1) return { status: 'ok', version: '0.1.0-mock', schema_version: 1 };
  if (kind === 'experiments' && parts.length === 1) return { experiments: EXPERIMENTS.map(experimentSummary) };
  if (kind === 'experiments' && key) {
    const exp = findExperiment(key);
    if (parts.length === 2) {
      return {
        id: exp.id, name: exp.name, created_at: exp.created_at, spec: exp.spec,
        conditions: exp.spec.conditions.map((c, i) => ({ id: exp.id * 10 + i, name: c.name, position: i, config: { ...exp.spec, ...c } })),
        runs: runs.filter((r) => r.exp === exp).map(runJson),
      };
    }
    if (sub === 'curves' && parts.length === 3) return curves(exp, url);
    if (sub === 'compare' && parts.length === 3) return compare(exp, url);
  }
  if (kind === 'runs' && key) {
    const run = runs.find((r) => String(r.id) === key);
    if (!run) throw new HttpError(404, 'not_found', `run ${key} does not exist`);
    if (parts.length === 2) return runJson(run);
    if (sub === 'generations' && parts.length === 3) {
      const last = runNow(run).generation;
      return {
        run: run.id,
        generations: run.history.slice(0, last + 1).map((h, g) => ({
          generation: g, best: h.best, mean: h.mean, median: h.median, std: Math.abs(h.best - h.mean) / 2,
          best_individual: individualId(run, g), evaluations: 128, steps: 1540, eval_seconds: 0.01, total_seconds: 0.012,
        })),
      };
    }
  }
  if (kind === 'individuals' && key) {
    const { run, g } = findIndividual(key);
    if (parts.length === 2) return individualJson(run, g);
    if (sub === 'lineage' && parts.length === 3) {
      const path = [];
      for (let k = 0; k <= g; k++) {
        const ind = individualJson(run, k);
        path.push({ id: ind.id, generation: k, parent: ind.parent, seed: ind.seed, fitness: ind.fitness });
      }
      return { individual: individualId(run, g), path };
    }
    if (sub === 'genome' && parts.length === 3) return genome(run, g, url);
  }
  throw new HttpError(404, 'not_found', `no endpoint ${url.pathname}`);
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml' };

async function serveStatic(pathname, res) {
  const file = normalize(join(dist, pathname === '/' ? 'index.html' : decodeURIComponent(pathname)));
  if (!file.startsWith(dist)) throw new HttpError(404, 'not_found', `no file ${pathname}`);
  let body;
  try {
    body = await readFile(file);
  } catch {
    throw new HttpError(404, 'not_found', `no file ${pathname} (is web/dist built? bash web/build.sh)`);
  }
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
  res.end(body);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  try {
    if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', `method ${req.method} is not allowed`);
    if (!url.pathname.startsWith('/api/')) return await serveStatic(url.pathname, res);
    const out = route(url);
    if (out.body instanceof Buffer) {
      res.writeHead(200, out.headers);
      return res.end(out.body);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(out));
  } catch (e) {
    const status = e instanceof HttpError ? e.status : 500;
    const code = e instanceof HttpError ? e.code : 'internal';
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { code, message: e.message } }));
  }
});

server.listen(Number(args.port ?? 8080), '127.0.0.1', () => {
  console.log(`mock: serving http://127.0.0.1:${server.address().port}/`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
