// Page render time of a run's family tree in headless Chromium (Debian's /usr/bin/chromium
// through playwright-core from web/node_modules): serves DB with `seedline serve --port 0`,
// opens #/runs/RUN three times and prints, per load, the tree's layout + draw time (what the
// page measures around drawTree) and the time from navigation to the drawn tree (fetching and
// parsing the JSON included). Target: <= 1 s for the pruned tree of a 100,000-individual run.
//   node bench/tree_render.mjs SEEDLINE_BIN DB RUN      (bench/report_bench writes such a DB)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [bin, db, run] = process.argv.slice(2);
if (!bin || !db || !run) {
  console.error('usage: node bench/tree_render.mjs SEEDLINE_BIN DB RUN');
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = createRequire(join(root, 'web', 'package.json'))('playwright-core');
const server = spawn(bin, ['--db', db, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const stop = () => server.kill('SIGTERM');
process.on('exit', stop);
const base = await new Promise((done, fail) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /http:\/\/[^\s/]+:(\d+)/.exec(out);
    if (m) done(`http://127.0.0.1:${m[1]}`);
  });
  server.on('exit', (code) => fail(new Error(`seedline serve exited with ${code}: ${out}`)));
});
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  for (let i = 0; i < 3; i++) {
    await page.goto(`${base}/#/`);
    await page.waitForSelector('main', { timeout: 10_000 });
    const t0 = Date.now();
    await page.evaluate((r) => { location.hash = `#/runs/${r}`; }, run);
    const canvas = await page.waitForSelector('#tree-canvas[data-render-ms]', { timeout: 60_000 });
    const total = Date.now() - t0;
    const draw = Number(await canvas.getAttribute('data-render-ms'));
    const nodes = Number(await canvas.getAttribute('data-nodes'));
    console.log(`load ${i + 1}: ${nodes} nodes, layout + draw ${draw.toFixed(1)} ms, navigation to drawn tree ${total} ms` +
      ' (the whole run page: run, generations and tree requests)   target <= 1000 ms');
  }
} finally {
  await browser.close();
  stop();
}
