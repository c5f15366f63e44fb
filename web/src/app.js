// The dashboard's entry point: hash routing to the views, the page frame, and how errors
// are shown. Routes:
//   #/                        experiments
//   #/experiments/ID?...      curves, comparison and runs of one experiment
//   #/runs/ID                 one run's generations
//   #/individuals/ID          one individual, its lineage and genome download
// A view is `render(root, ctx) -> dispose()`; the previous view is disposed (timers, charts)
// before the next one renders, and a view that throws shows its error in place.
import { getJson, ApiError } from './api.js';
import { errorBox } from './errors.js';
import { h } from './dom.js';
import { renderExperiments } from './experiments.js';
import { renderExperiment } from './experiment.js';
import { renderRun } from './run.js';
import { renderIndividual } from './individual.js';

const ROUTES = [
  [/^\/?$/, (root, ctx) => renderExperiments(root, ctx)],
  [/^\/experiments\/([^/]+)$/, (root, ctx, m) => renderExperiment(root, ctx, decodeURIComponent(m[1]))],
  [/^\/runs\/(\d+)$/, (root, ctx, m) => renderRun(root, ctx, Number(m[1]))],
  [/^\/individuals\/(\d+)$/, (root, ctx, m) => renderIndividual(root, ctx, Number(m[1]))],
];

// Parses "#/path?query" into {path, query: URLSearchParams}.
function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return { path, query: new URLSearchParams(query) };
}

let dispose = null;
let generation = 0;  // guards against a slow view rendering after the user navigated away

async function route() {
  const mine = ++generation;
  if (dispose) {
    try { dispose(); } catch (e) { console.error(e); }
    dispose = null;
  }
  const root = document.getElementById('view');
  root.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  const { path, query } = parseHash();
  const ctx = {
    query,
    isCurrent: () => mine === generation,
    // Rewrites the hash's query without re-rendering (view state worth a reload or a link).
    setQuery(values) {
      for (const [k, v] of Object.entries(values)) {
        if (v === null || v === undefined || v === '') query.delete(k);
        else query.set(k, String(v));
      }
      const q = query.toString();
      history.replaceState(null, '', `#${path}${q ? `?${q}` : ''}`);
    },
  };
  for (const [pattern, render] of ROUTES) {
    const m = pattern.exec(path);
    if (!m) continue;
    try {
      const d = await render(root, ctx, m);
      if (mine === generation) dispose = d ?? null;
      else if (d) d();
    } catch (e) {
      if (mine !== generation) return;
      if (!(e instanceof ApiError)) console.error(e);  // a bug of ours; API errors are shown below
      root.replaceChildren(errorBox(e, 'Could not show this page'), h('p', {}, h('a', { href: '#/' }, '← all experiments')));
    }
    return;
  }
  root.replaceChildren(h('div', { class: 'error', role: 'alert' }, `No page "${path}".`),
    h('p', {}, h('a', { href: '#/' }, '← all experiments')));
}

async function showServer() {
  const el = document.getElementById('server');
  try {
    const health = await getJson('/api/health');
    el.textContent = `seedline ${health.version} · schema ${health.schema_version}`;
  } catch (e) {
    el.textContent = e.status === 401 ? 'token needed' : 'server unreachable';
    el.classList.add('bad');
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (e) => console.error('unhandled', e.reason));
showServer();
route();
