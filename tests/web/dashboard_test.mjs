// The dashboard in a real browser: runs a small real experiment (examples/smoke.json) into a
// fresh database, serves it with `seedline serve --port 0`, and drives headless Chromium
// (Debian's /usr/bin/chromium through playwright-core; no downloaded browser) through the
// experiments list, the experiment page (settings that differ, curves with their band
// switch and run hover, comparison, runs; the downloads of the curves as SVG, PNG and CSV and
// of the comparison as CSV and LaTeX, each checked), a run's page (its family tree drawn),
// an individual's page (fields, children, lineage, genome download), live updates of a
// submitted experiment while two `seedline daemon --once` run it (a comparison mid-run),
// and an error page. Saves screenshots to $SEEDLINE_TEST_OUTPUT (default
// build/test-output/: dashboard.png the experiment page, dashboard-run.png the tree,
// dashboard-live.png mid-run, dashboard-individual.png) and stops the server with SIGTERM.
//
//   SEEDLINE_BIN=build/seedline SEEDLINE_SOURCE_DIR=. node tests/web/dashboard_test.mjs
//
// Exit codes: 0 passed, 1 failed, 77 skipped (no Chromium or no playwright-core; CTest's
// SKIP_RETURN_CODE).
// For developing the dashboard without a built seedline: SEEDLINE_WEB_TEST_MOCK=1 serves
// web/dev/mock-server.mjs instead (CTest never sets it).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const TIME_LIMIT_MS = 300_000;  // the whole test; CTest's TIMEOUT is above it
const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = resolve(process.env.SEEDLINE_SOURCE_DIR ?? join(here, '..', '..'));
const chromiumPath = process.env.SEEDLINE_CHROMIUM ?? '/usr/bin/chromium';
const mock = process.env.SEEDLINE_WEB_TEST_MOCK === '1';
const outputDir = resolve(process.env.SEEDLINE_TEST_OUTPUT ?? join(sourceDir, 'build', 'test-output'));

let passed = 0;
const cleanups = [];

function log(msg) {
  console.log(`web.dashboard: ${msg}`);
}

function check(condition, what, detail = '') {
  if (!condition) throw new Error(`check failed: ${what}${detail ? ` (${detail})` : ''}`);
  passed++;
  log(`ok ${passed} - ${what}`);
}

async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch (e) {
      console.error(`web.dashboard: cleanup: ${e.message}`);
    }
  }
}

async function finish(code, message) {
  clearTimeout(watchdog);
  if (message) (code === 0 || code === 77 ? console.log : console.error)(`web.dashboard: ${message}`);
  await cleanup();
  process.exit(code);
}

const watchdog = setTimeout(() => finish(1, `FAILED: timed out after ${TIME_LIMIT_MS / 1000} s`), TIME_LIMIT_MS);

// --- processes ------------------------------------------------------------------------------

// Runs a command to completion; rejects with its output on a non-zero exit or after `ms`.
function runToEnd(cmd, args, ms) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} took longer than ${ms / 1000} s:\n${out}`));
    }, ms);
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot start ${cmd}: ${e.message}`)); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}:\n${out}`));
    });
  });
}

// Starts a process in the background; `done` resolves with its output once it exits 0 and
// rejects otherwise. Cleanup stops it with SIGTERM if it is still running.
function startProcess(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let exited = false;
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const done = new Promise((resolveRun, reject) => {
    child.on('error', (e) => reject(new Error(`cannot start ${cmd}: ${e.message}`)));
    child.on('exit', (code, signal) => {
      exited = true;
      if (code === 0) resolveRun(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}:\n${out}`));
    });
  });
  done.catch(() => {});
  cleanups.push(async () => {
    if (!exited) child.kill('SIGTERM');
  });
  return { done };
}

// PNG width and height from its IHDR chunk.
function pngSize(bytes) {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((b, i) => bytes[i] === b) || bytes.subarray(12, 16).toString() !== 'IHDR') return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function saveDownload(page, selector, file) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), page.click(selector)]);
  await download.saveAs(file);
  return { name: download.suggestedFilename(), bytes: readFileSync(file) };
}

// Starts a server that prints its URL (http://HOST:PORT, or HOST:PORT, or "port N") on
// stdout; resolves with the base URL on 127.0.0.1. The server is stopped with SIGTERM at cleanup (SIGKILL if it lingers 5 s).
function startServer(cmd, args) {
  return new Promise((resolveStart, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let exited = false;
    const onData = (d) => {
      out += d;
      const m = /https?:\/\/[^\s/]+:(\d+)/.exec(out) ?? /(?:127\.0\.0\.1|localhost|port)[: ]+(\d+)/i.exec(out);
      if (m && Number(m[1]) > 0) {
        clearTimeout(timer);
        resolveStart(`http://127.0.0.1:${m[1]}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => reject(new Error(`${cmd} printed no URL within 20 s:\n${out}`)), 20_000);
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot start ${cmd}: ${e.message}`)); });
    child.on('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal} before serving:\n${out}`));
    });
    cleanups.push(() => new Promise((done) => {
      if (exited) return done();
      const kill = setTimeout(() => {
        console.error('web.dashboard: the server ignored SIGTERM for 5 s; killing it');
        child.kill('SIGKILL');
      }, 5000);
      child.on('exit', (code, signal) => {
        clearTimeout(kill);
        log(`server stopped (${code ?? signal})`);
        done();
      });
      child.kill('SIGTERM');
    }));
  });
}

async function getJson(base, path) {
  const response = await fetch(base + path);
  const body = await response.json();
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

// --- the experiment under test ---------------------------------------------------------------

// examples/smoke.json without its whole-line // comments.
function smokeSpec() {
  return JSON.parse(readFileSync(join(sourceDir, 'examples', 'smoke.json'), 'utf8').replace(/^\s*\/\/.*$/gm, ''));
}

function smokeConditions() {
  const spec = smokeSpec();
  return { name: spec.name, conditions: spec.conditions.map((c) => c.name), trials: spec.trials, generations: spec.ga.generations, population: spec.ga.population };
}

async function startBackend(tmp) {
  if (mock) {
    log('SEEDLINE_WEB_TEST_MOCK=1: serving the mock server, not seedline');
    return startServer(process.execPath, [join(sourceDir, 'web', 'dev', 'mock-server.mjs'), '--port', '0', '--time', '1000',
      '--dist', join(sourceDir, 'web', 'dist')]);
  }
  const bin = process.env.SEEDLINE_BIN;
  if (!bin || !existsSync(bin)) throw new Error(`SEEDLINE_BIN must name the built seedline binary (got "${bin ?? ''}")`);
  const db = join(tmp, 's.db');
  const started = Date.now();
  await runToEnd(bin, ['--db', db, 'run', join(sourceDir, 'examples', 'smoke.json')], 120_000);
  log(`seedline run examples/smoke.json took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return startServer(bin, ['--db', db, 'serve', '--port', '0']);
}

// --- browser checks ---------------------------------------------------------------------------

// Pixels of the canvas close to `hex` (a condition's line colour).
async function colouredPixels(page, selector, hex) {
  return page.$eval(selector, (canvas, color) => {
    const v = parseInt(color.slice(1), 16);
    const [r, g, b] = [(v >> 16) & 255, (v >> 8) & 255, v & 255];
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && Math.abs(data[i] - r) < 24 && Math.abs(data[i + 1] - g) < 24 && Math.abs(data[i + 2] - b) < 24) n++;
    }
    return n;
  }, hex);
}

async function canvasBox(page, selector) {
  const el = await page.waitForSelector(selector, { state: 'visible', timeout: 10_000 });
  return el.boundingBox();
}

const isNumber = (text) => /^-?\d+(\.\d+)?(e-?\d+)?$/.test(text.trim());

async function checkExperiment(page, base, exp, expected) {
  await page.waitForSelector('#curves-chart canvas', { timeout: 15_000 });
  const box = await canvasBox(page, '#curves-chart canvas');
  check(box && box.width > 200 && box.height > 150, 'the fitness chart is a visible canvas', JSON.stringify(box));
  const legend = await page.textContent('#curves-chart .legend');
  for (const c of expected.conditions) check(legend.includes(c), `the chart legend names condition "${c}"`, legend);
  const palette = await page.evaluate(async () => (await import('./charts.js')).PALETTE);
  for (let i = 0; i < expected.conditions.length; i++) {
    const n = await colouredPixels(page, '#curves-chart canvas', palette[i]);
    check(n > 50, `the curve of "${expected.conditions[i]}" is drawn`, `${n} pixels of ${palette[i]}`);
  }

  // Comparison at the default generation: the last every run reached, all of them here.
  const compare = await getJson(base, `/api/experiments/${exp.id}/compare?metric=best`);
  await page.waitForSelector('#comparison table.groups tbody tr', { timeout: 10_000 });
  const groupRows = await page.$$eval('#comparison table.groups tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  check(groupRows.length === expected.conditions.length, 'the comparison lists every condition', JSON.stringify(groupRows));
  for (const [i, row] of groupRows.entries()) {
    check(row[0] === expected.conditions[i] && row[1] === `${expected.trials} / ${expected.trials}`,
      `comparison row "${row[0]}" has n = ${expected.trials} of ${expected.trials} runs`, JSON.stringify(row));
    check(row.slice(2).every(isNumber), `comparison row "${row[0]}" shows numbers`, JSON.stringify(row));
  }
  const statLine = await page.textContent('#comparison .stat-line');
  check(statLine.includes(`generation ${compare.generation}`) && statLine.includes(`generation ${expected.generations - 1}`),
    'the comparison is at the last generation', statLine);
  check(/H = -?[\d.e-]+, p = [\d.e-]+/.test(statLine), 'Kruskal-Wallis H and p are shown', statLine);
  const pairRows = await page.$$eval('#comparison table.pairs tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  const pairCount = (expected.conditions.length * (expected.conditions.length - 1)) / 2;
  check(pairRows.length === pairCount, `the comparison has ${pairCount} pair(s)`, JSON.stringify(pairRows));
  const [pair] = pairRows;
  check(pair[0] === `${expected.conditions[0]} vs ${expected.conditions[1]}`, 'the pair names its conditions', pair[0]);
  check(isNumber(pair[1]) && Number(pair[1]) === compare.pairs[0].mwu.U, 'the pair shows the Mann-Whitney U of the API', JSON.stringify(pair));
  check(/^[\d.e-]+( \(\w+\))?$/.test(pair[2]) && isNumber(pair[3]), 'the pair shows p and Holm p', JSON.stringify(pair));
  check((isNumber(pair[4]) || pair[4] === 'n/a') && isNumber(pair[5]) && Number(pair[5]) >= 0 && Number(pair[5]) <= 1,
    "the pair shows Glass's delta and A12 in [0, 1]", JSON.stringify(pair));

  // The generation slider asks for another generation.
  await page.$eval('#generation-slider', (s) => {
    s.value = '0';
    s.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForFunction(() => document.querySelector('#comparison .stat-line')?.textContent.includes('generation 0'), null, { timeout: 10_000 });
  check(page.url().includes('gen=0'), 'moving the slider to generation 0 shows generation 0 and keeps it in the URL', page.url());

  // The runs: all finished, full progress, a best individual each.
  const runRows = await page.$$eval('table.runs tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  check(runRows.length === expected.conditions.length * expected.trials, 'the run list has every run', String(runRows.length));
  for (const row of runRows) {
    check(row[3].startsWith('finished') && row[4] === `${expected.generations} / ${expected.generations}` && isNumber(row[5]) &&
      isNumber(row[6]) && Number(row[6]) <= Number(row[5]) && /^#\d+$/.test(row[7]),
      `run ${row[0]} is finished at ${expected.generations} / ${expected.generations} with best ever >= final best and a best individual`,
      JSON.stringify(row));
  }
  const runsCaption = await page.textContent('.runs-caption');
  check(runsCaption.includes('Best ever') && runsCaption.includes('Final best'), 'the runs table says what "best" means', runsCaption);
  const live = await page.textContent('.live');
  check(live.includes('all runs finished'), 'the page says it stopped updating', live);

  // The metric selector and the log toggle redraw the chart.
  const medianCurves = page.waitForResponse((r) => r.url().includes('/curves?metric=median') && r.ok(), { timeout: 10_000 });
  await page.selectOption('select[aria-label="Metric"]', 'median');
  await medianCurves;
  await page.waitForSelector('#curves-chart canvas', { timeout: 10_000 });
  const caption = await page.textContent('#curves-caption');
  check(caption.includes('median') && page.url().includes('metric=median'), 'the metric selector reloads the curves for the median', caption);
  const curves = await getJson(base, `/api/experiments/${exp.id}/curves?metric=median`);
  const nonPositive = curves.conditions.some((c) => c.mean.some((v) => v !== null && v <= 0));
  await page.check('input[name="log"]');
  await page.waitForSelector('#curves-chart canvas', { timeout: 10_000 });
  const note = await page.textContent('#curves-chart + .note');
  check(nonPositive ? note.includes('symmetric log') : !note.includes('symmetric log'),
    `the log scale ${nonPositive ? 'falls back to a symmetric log for values <= 0 and says so' : 'is a plain log scale'}`, note);
  await page.uncheck('input[name="log"]');
  await page.selectOption('select[aria-label="Metric"]', 'best');
  await page.waitForFunction(() => document.querySelector('#curves-caption')?.textContent.includes('best fitness'), null, { timeout: 10_000 });
  const bestCaption = await page.textContent('#curves-caption');
  check(bestCaption.includes('not the best so far') && bestCaption.includes('Student t'),
    'the curves caption says what "best" means and which interval is shaded', bestCaption);

  // The settings that differ between the conditions.
  const settings = await page.$$eval('#settings table.settings tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  const type = settings.find((r) => r[0] === 'representation.type');
  check(type && type[1] === 'factorized' && type[2] === 'direct', 'the settings table shows the representations side by side', JSON.stringify(settings));
  check(!settings.some((r) => r[0] === 'ga.population'), 'a setting shared by every condition is not listed', JSON.stringify(settings));

  // The band switch and single runs named on hover.
  await page.selectOption('select[aria-label="Band"]', 'bootstrap');
  await page.waitForFunction(() => document.querySelector('#curves-caption')?.textContent.includes('bootstrap'), null, { timeout: 10_000 });
  check(page.url().includes('band=bootstrap'), 'the band switches to the bootstrap interval and the URL keeps it', page.url());
  await page.check('input[name="runs"]');
  await page.waitForSelector('#curves-chart canvas', { timeout: 10_000 });
  const plotBox = await canvasBox(page, '#curves-chart .u-over');
  await page.mouse.move(plotBox.x + plotBox.width * 0.6, plotBox.y + plotBox.height * 0.5);
  const hover = await page.waitForSelector('.run-hover-link', { timeout: 10_000 });
  const hoverText = await page.textContent('.run-hover');
  const hoveredRun = Number((await hover.textContent()).replace('run ', ''));
  check(exp.id && (await getJson(base, `/api/runs/${hoveredRun}`)).experiment === exp.id && hoverText.includes('trial'),
    'hovering the single runs names a run of this experiment and links to it', hoverText);
  await page.selectOption('select[aria-label="Band"]', 'Student t');
  await page.uncheck('input[name="runs"]');

  // The cost chart: evaluations per generation and condition (docs/statistics.md, cost metrics).
  await page.waitForSelector('#cost-chart canvas', { timeout: 10_000 });
  const costLegend = await page.textContent('#cost-chart .legend');
  for (const c of expected.conditions) check(costLegend.includes(c), `the cost chart's legend names condition "${c}"`, costLegend);
  const stageCurves = page.waitForResponse((r) => /\/curves\?metric=evaluations&stage=0/.test(r.url()) && r.ok(), { timeout: 10_000 });
  await page.selectOption('select[aria-label="Cost"]', 'evaluations');
  await page.selectOption('select[aria-label="Stage"]', '0');
  await stageCurves;
  await page.waitForSelector('#cost-chart canvas', { timeout: 10_000 });
  check(page.url().includes('cost=evaluations') && page.url().includes('stage=0'), 'the cost selectors are kept in the link', page.url());
  const costs = await getJson(base, `/api/experiments/${exp.id}/curves?metric=evaluations&stage=0`);
  const perGeneration = expected.population;  // one stage: every member is evaluated once
  check(costs.conditions.every((c) => c.mean.every((v) => v === perGeneration)),
    `stage 0 ran ${perGeneration} evaluations in every generation`, JSON.stringify(costs.conditions.map((c) => c.mean)));
}

// The downloads: curves as SVG (parsed by the browser), PNG (its size) and CSV (every run's
// rows), the comparison as CSV and LaTeX.
async function checkDownloads(page, base, exp, expected, tmp) {
  await page.waitForSelector('#curves-chart canvas', { timeout: 15_000 });
  const svg = await saveDownload(page, 'button.download-curves-svg', join(tmp, 'curves.svg'));
  const parsed = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      root: doc.documentElement.nodeName,
      means: doc.querySelectorAll('path.mean').length,
      legend: [...doc.querySelectorAll('text.legend')].map((t) => t.textContent),
      x: doc.querySelector('text.x-label')?.textContent,
      y: doc.querySelector('text.y-label')?.textContent,
    };
  }, svg.bytes.toString());
  check(parsed.error === null && parsed.root === 'svg' && parsed.means === expected.conditions.length,
    `the SVG download (${svg.name}) parses with one mean line per condition`, JSON.stringify(parsed));
  check(parsed.x === 'generation' && parsed.y.startsWith('fitness') && expected.conditions.every((c) => parsed.legend.includes(c)),
    'the SVG has axis labels and a legend', JSON.stringify(parsed));
  const png = await saveDownload(page, 'button.download-curves-png', join(tmp, 'curves.png'));
  const size = pngSize(png.bytes);
  check(size && size.width === 1440 && size.height === 880, `the PNG download is a 1440 x 880 PNG (the 720 x 440 figure at 2x)`,
    JSON.stringify(size));
  const csv = await saveDownload(page, 'button.download-curves-csv', join(tmp, 'curves.csv'));
  const lines = csv.bytes.toString().trim().split('\n');
  check(lines[0] === 'condition,run,trial,generation,best', 'the CSV download has a header', lines[0]);
  const detail = await getJson(base, `/api/experiments/${exp.id}`);
  for (const run of detail.runs) {
    const rows = lines.filter((l) => l.split(',')[1] === String(run.id));
    if (rows.length !== expected.generations) {
      check(false, 'the CSV has every generation of every run', `run ${run.id}: ${rows.length} rows`);
    }
  }
  check(lines.length - 1 === detail.runs.length * expected.generations,
    `the CSV download has all ${detail.runs.length} runs x ${expected.generations} generations`, String(lines.length - 1));
  const table = await saveDownload(page, 'button.download-comparison-csv', join(tmp, 'comparison.csv'));
  const tableText = table.bytes.toString();
  check(expected.conditions.every((c) => tableText.includes(`group,${c},`)) && tableText.includes('pair,'),
    'the comparison CSV has every condition and the pair', tableText.split('\n').slice(0, 4).join(' | '));
  const tex = (await saveDownload(page, 'button.download-comparison-tex', join(tmp, 'comparison.tex'))).bytes.toString();
  check(tex.includes('\\begin{tabular}') && tex.includes('\\toprule') && expected.conditions.every((c) => tex.includes(c)),
    'the LaTeX download is a booktabs table of the conditions', tex.split('\n').slice(0, 3).join(' | '));
}

// A run's page draws its pruned family tree.
async function checkRunTree(page, base, exp) {
  const detail = await getJson(base, `/api/experiments/${exp.id}`);
  const run = detail.runs[0];
  await page.goto(`${base}/#/runs/${run.id}`);
  const canvas = await page.waitForSelector('#tree-canvas[data-render-ms]', { timeout: 15_000 });
  const tree = await getJson(base, `/api/runs/${run.id}/tree`);
  const nodes = Number(await canvas.getAttribute('data-nodes'));
  check(nodes === tree.nodes && nodes > 0, `the run page draws the pruned tree of run ${run.id} (${nodes} individuals)`, String(nodes));
  const inked = await page.$eval('#tree-canvas', (c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) n++;
    return n;
  });
  check(inked > 500, 'the tree canvas has branches drawn', `${inked} coloured pixels`);
  const info = await page.textContent('.tree-info');
  check(info.includes('final population'), 'the tree says it is pruned to the final population', info);
  await page.screenshot({ path: join(outputDir, 'dashboard-run.png'), fullPage: true });
  log(`screenshot: ${join(outputDir, 'dashboard-run.png')}`);
}

async function checkIndividual(page, base, tmp) {
  const link = await page.$('table.runs tbody tr td:nth-child(8) a');
  const id = Number((await link.textContent()).replace('#', ''));
  await link.click();
  await page.waitForSelector('#lineage table tbody tr', { timeout: 15_000 });
  check(page.url().endsWith(`#/individuals/${id}`), `the best individual's link opens #/individuals/${id}`, page.url());
  const ind = await getJson(base, `/api/individuals/${id}`);
  const fields = await page.textContent('.fields');
  check(fields.includes(ind.seed) && fields.includes(`run ${ind.run}`), 'the individual page shows its seed and run', fields);
  const rows = await page.$$eval('#lineage table tbody tr', (trs) => trs.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  check(rows.length >= 1 && rows[0][2] === 'root', 'the lineage starts at a root', JSON.stringify(rows[0]));
  check(rows.at(-1)[1] === `#${id}` && Number(rows.at(-1)[0]) === ind.generation, 'the lineage ends at the individual', JSON.stringify(rows.at(-1)));
  for (let k = 1; k < rows.length; k++) {
    if (rows[k][2] !== rows[k - 1][1]) check(false, 'each lineage row is the child of the previous one', JSON.stringify([rows[k - 1], rows[k]]));
  }
  check(true, `the ${rows.length} lineage rows chain parent to child`);
  const box = await canvasBox(page, '#lineage-chart canvas');
  check(box && box.width > 200 && box.height > 100, 'the lineage chart is a visible canvas', JSON.stringify(box));
  const lineageLegend = await page.textContent('#lineage-chart .legend');
  check(lineageLegend.includes('fitness'), 'the lineage chart has a legend', lineageLegend);
  const children = await page.$$eval('#children tbody tr', (trs) => trs.map((r) => r.cells[0].textContent.trim()));
  check(JSON.stringify(children) === JSON.stringify(ind.children.map((c) => `#${c.id}`)),
    `the individual page lists its ${ind.children.length} children`, JSON.stringify(children));

  // The genome download saves a .npy file (fetched first so that errors would be shown).
  const downloadPromise = page.waitForEvent('download', { timeout: 30_000 });
  await page.click('button.download-npy');
  const result = await Promise.race([
    downloadPromise,
    page.waitForSelector('.download-status .error', { timeout: 30_000 }).then(async (e) => {
      throw new Error(`genome download failed in the page: ${await e.textContent()}`);
    }),
  ]);
  const file = join(tmp, 'genome.npy');
  await result.saveAs(file);
  const bytes = readFileSync(file);
  check(bytes.length > 10 && bytes[0] === 0x93 && bytes.subarray(1, 6).toString() === 'NUMPY', 'the genome downloads as a .npy file', `${bytes.length} bytes`);
  return id;
}

// The page follows progress without a reload: an experiment submitted (queued, no daemon:
// not "live") while the page is open, then run by two `seedline daemon --once`, is compared
// mid-run (trial-major claims give both conditions runs early), shows up finished, and
// polling stops.
async function checkLive(page, base, tmp) {
  const bin = process.env.SEEDLINE_BIN;
  const db = join(tmp, 's.db');
  // CartPole with a 64x64 network: slow enough (about 25 s of CPU) to catch the runs in the
  // middle. Two daemons run the trials pairwise, and from the second pair on both conditions
  // have 2 runs at some generation, so the page compares them while runs go on.
  const spec = {
    name: 'smoke-live', seed: 3, trials: 3, task: { type: 'cartpole', episodes: 2 },
    network: [{ type: 'dense', out: 64, activation: 'tanh' }, { type: 'dense', out: 64, activation: 'tanh' }, { type: 'dense', out: 2 }],
    ga: { population: 24, truncation: 6, elites: 1, generations: 300, mutation_rate: 0.01, snapshot_every: 50 },
    conditions: [{ name: 'factorized', representation: { type: 'factorized', rank: 2 } },
      { name: 'direct', representation: { type: 'direct' } }],
  };
  const file = join(tmp, 'live.json');
  writeFileSync(file, JSON.stringify(spec));
  await runToEnd(bin, ['--db', db, 'submit', file], 30_000);
  const exp = (await getJson(base, '/api/experiments')).experiments.find((e) => e.name === 'smoke-live');
  check(exp && exp.states.queued === exp.runs, 'a submitted experiment is listed with its runs queued', JSON.stringify(exp));
  await page.goto(`${base}/#/experiments/${exp.id}`);
  await page.waitForSelector('table.runs tbody tr', { timeout: 10_000 });
  const waiting = await page.textContent('.live');
  check(waiting.includes('waiting for a daemon') && (await page.$('.live.on')) === null,
    'a queued experiment without a daemon is not labelled live', waiting);
  const daemons = [0, 1].map(() => startProcess(bin, ['--db', db, 'daemon', '--once', '--threads', '1', '--experiment', 'smoke-live']));
  await page.waitForSelector('.live.on', { timeout: 30_000 });
  check((await page.textContent('.live')).includes('live'), 'once daemons run it, the page says live');
  // Mid-run: both conditions have two runs at some generation, so the page compares them.
  await page.waitForFunction(() => document.querySelectorAll('#comparison table.pairs tbody tr').length > 0 &&
    document.querySelector('.live.on') !== null, null, { timeout: 150_000 });  // slow when the machine is shared
  const midRun = (await getJson(base, '/api/experiments')).experiments.find((e) => e.name === 'smoke-live');
  const statLine = await page.textContent('#comparison .stat-line');
  const counts = await page.$$eval('#comparison table.groups tbody tr', (rows) => rows.map((r) => r.cells[1].textContent.trim()));
  // n of 3 runs each, at least 2 (H itself may be n/a: CartPole runs that all reach 500 tie).
  check(midRun.states.finished < midRun.runs && counts.length === 2 &&
    counts.every((c) => /^[23] \/ 3$/.test(c)) && /generation \d+/.test(statLine),
  'a comparison of both conditions is shown while runs are still going',
  `${JSON.stringify(midRun.states)}; ${JSON.stringify(counts)}; ${statLine}`);
  await page.screenshot({ path: join(outputDir, 'dashboard-live.png'), fullPage: true });
  log(`screenshot: ${join(outputDir, 'dashboard-live.png')}`);
  await Promise.all(daemons.map((d) => d.done));
  // The server must see what another process wrote after it started (WAL, read-only
  // connections); checked on the API first so that a failure says which side is wrong.
  let seen = null;
  for (let i = 0; i < 25; i++) {
    seen = (await getJson(base, '/api/experiments')).experiments.find((e) => e.name === 'smoke-live');
    if (seen?.states.finished === exp.runs) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  check(seen?.states.finished === exp.runs, 'the API sees the runs that seedline daemon finished after the server started',
    `GET /api/experiments still says ${JSON.stringify(seen?.states)} after the daemon exited`);
  await page.waitForFunction(() => document.querySelector('.live')?.textContent.includes('all runs finished'), null, { timeout: 20_000 });
  const states = await page.$$eval('table.runs tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent.trim()));
  check(states.length === exp.runs && states.every((st) => st.startsWith('finished')), 'without a reload, the page shows the runs finished', JSON.stringify(states));
  check((await page.$('#curves-chart canvas')) !== null, 'the curves appear once generations are committed');
  let requests = 0;
  const count = (r) => { if (r.url().includes('/api/')) requests++; };
  page.on('request', count);
  await page.waitForTimeout(7000);
  page.off('request', count);
  check(requests === 0, 'polling stops once every run is finished', `${requests} API requests in 7 s`);
}

async function checkErrorPage(page) {
  await page.goto(page.url().replace(/#.*$/, '#/individuals/987654321'));
  const alert = await page.waitForSelector('[role="alert"]', { timeout: 10_000 });
  const text = await alert.textContent();
  check(/404/.test(text) && text.length > 20, 'an unknown individual shows the API error, not a blank page', text);
}

async function main() {
  if (!existsSync(chromiumPath)) {
    return finish(77, `SKIPPED: ${chromiumPath} is missing (apt-get install chromium, or bash scripts/setup.sh)`);
  }
  let chromium;
  try {
    ({ chromium } = createRequire(join(sourceDir, 'web', 'package.json'))('playwright-core'));
  } catch (e) {
    // A plain clone has no web/node_modules (web/build.sh installs it): that is a missing
    // tool, like a missing Chromium, not a failure of the dashboard.
    return finish(77, `SKIPPED: playwright-core is not installed in web/node_modules (run bash web/build.sh): ${e.message.split('\n')[0]}`);
  }
  if (!existsSync(join(sourceDir, 'web', 'dist', 'index.html'))) {
    return finish(1, 'FAILED: web/dist is not built (run bash web/build.sh, then rebuild seedline so it embeds it)');
  }
  const tmp = mkdtempSync(join(tmpdir(), 'seedline-web-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  mkdirSync(outputDir, { recursive: true });
  const expected = smokeConditions();

  const base = await startBackend(tmp);
  log(`serving at ${base}`);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'], headless: true, timeout: 30_000 });
  cleanups.push(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`); });

  await page.goto(`${base}/`, { timeout: 15_000 });
  const expLink = await page.waitForSelector(`a.experiment-link:text-is("${expected.name}")`, { timeout: 15_000 });
  check(true, `the experiments list shows "${expected.name}"`);
  const listRow = await page.$eval(`a.experiment-link:text-is("${expected.name}")`, (a) => a.closest('tr').textContent);
  check(expected.conditions.every((c) => listRow.includes(c)) && listRow.includes(`${expected.conditions.length * expected.trials} finished`),
    'the list row names the conditions and counts the finished runs', listRow);
  await expLink.click();
  const exps = await getJson(base, '/api/experiments');
  const exp = exps.experiments.find((e) => e.name === expected.name);
  await checkExperiment(page, base, exp, expected);
  await checkDownloads(page, base, exp, expected, tmp);
  await page.goto(`${base}/#/experiments/${exp.id}`);
  await page.waitForSelector('#curves-chart canvas', { timeout: 15_000 });
  await page.waitForSelector('#comparison table.pairs', { timeout: 15_000 });
  await page.screenshot({ path: join(outputDir, 'dashboard.png'), fullPage: true });
  log(`screenshot: ${join(outputDir, 'dashboard.png')}`);
  await checkRunTree(page, base, exp);
  await page.goto(`${base}/#/experiments/${exp.id}`);
  await page.waitForSelector('table.runs tbody tr td:nth-child(8) a', { timeout: 15_000 });
  await checkIndividual(page, base, tmp);
  await page.screenshot({ path: join(outputDir, 'dashboard-individual.png'), fullPage: true });
  if (mock) log('SEEDLINE_WEB_TEST_MOCK=1: the live-update check needs seedline submit/daemon; not run');
  else await checkLive(page, base, tmp);
  await checkErrorPage(page);
  // The 404 of the error page is logged by Chromium as a failed resource load: expected.
  const unexpected = pageErrors.filter((e) => !/status of 404/.test(e));
  check(unexpected.length === 0, 'no uncaught errors in the page', unexpected.join(' | '));
  return finish(0, `${passed} passed, 0 failed`);
}

main().catch((e) => finish(1, `FAILED after ${passed} passed checks: ${e.stack ?? e.message}`));
