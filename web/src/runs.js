// The runs of an experiment as a table: condition, trial, state, progress (committed
// generations of the configured total), the best fitness ever (the maximum over generations
// of each generation's best: with noisy evaluation a lucky draw, biased upward), the best of
// the newest generation, and a link to the best individual.
import { h, num, stateBadge, table } from './dom.js';

// True while any run may still change: queued or running (paused runs wait for a user). The
// page keeps polling while this holds (a daemon may start any time).
export function isLive(runs) {
  return runs.some((r) => r.state === 'queued' || r.state === 'running');
}

// What the page says about progress. "live" only while a run is running with a fresh
// heartbeat (a daemon is working on it); queued runs without one are waiting for a daemon,
// paused runs for a user. `now` is unix seconds; `staleAfter` the daemon's default.
export function liveStatus(runs, now = Date.now() / 1000, staleAfter = 60) {
  const count = (state) => runs.filter((r) => r.state === state).length;
  const working = runs.filter((r) => r.state === 'running' && r.heartbeat !== null && r.heartbeat !== undefined &&
    now - r.heartbeat < staleAfter).length;
  const queued = count('queued');
  const paused = count('paused');
  const stale = count('running') - working;
  if (working > 0) return { kind: 'live', text: `live · ${working} run${working === 1 ? '' : 's'} running` };
  if (queued > 0 || stale > 0) {
    return { kind: 'waiting', text: `${queued + stale} run${queued + stale === 1 ? '' : 's'} waiting for a daemon ` +
      '(none is working on this experiment: start `seedline daemon`)' };
  }
  if (paused > 0) return { kind: 'paused', text: `paused · ${paused} run${paused === 1 ? '' : 's'} paused (resume with \`seedline daemon\`)` };
  // Say what happened: "all runs finished", "all runs failed" or "4 runs finished, 2 failed".
  const finished = count('finished');
  const failed = count('failed');
  if (failed === 0) return { kind: 'done', text: 'all runs finished' };
  if (finished === 0) return { kind: 'done', text: `all ${failed} run${failed === 1 ? '' : 's'} failed` };
  return { kind: 'done', text: `${finished} run${finished === 1 ? '' : 's'} finished, ${failed} failed` };
}

export function progress(generation, generations) {
  const done = Math.max(0, (generation ?? -1) + 1);
  const total = Math.max(0, generations ?? 0);
  const pct = total ? Math.min(100, (100 * done) / total) : 0;
  return h('div', { class: 'run-progress' },
    h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(total), 'aria-valuenow': String(done) },
      h('div', { class: 'progress-bar', style: `width: ${pct}%` })),
    h('span', { class: 'progress-text' }, `${done} / ${total}`));
}

export function individualLink(id) {
  return id === null || id === undefined ? 'n/a' : h('a', { href: `#/individuals/${id}` }, `#${id}`);
}

export const BEST_CAPTION = 'Best ever: the highest best fitness of any generation so far (a maximum over noisy ' +
  'evaluations, so biased upward). Final best: the best fitness of the newest generation.';

export function runsTable(runs) {
  if (runs.length === 0) return h('p', { class: 'empty' }, 'This experiment has no runs.');
  return h('div', {},
    table(['Run', 'Condition', 'Trial', 'State', 'Progress (generations)',
      h('abbr', { title: 'the highest per-generation best so far' }, 'Best ever'),
      h('abbr', { title: 'the best fitness of the newest committed generation' }, 'Final best'), 'Best individual'],
    runs.map((r) => [
      h('a', { href: `#/runs/${r.id}` }, `run ${r.id}`),
      r.condition,
      String(r.trial),
      h('span', {}, stateBadge(r.state), r.message ? h('div', { class: 'run-message' }, r.message) : null),
      progress(r.generation, r.generations),
      num(r.best_fitness),
      num(r.final_best),
      individualLink(r.best_individual),
    ]), { class: 'runs' }),
    h('p', { class: 'caption runs-caption' }, BEST_CAPTION));
}

// The experiment's name for links and breadcrumbs ("experiment 3" only when the server sent none).
export const experimentTitle = (id, name) => (name ? name : `experiment ${id}`);

// The generation table's columns and cells; `loss`: values are minus the fitness.
export function generationRows(rows, loss) {
  const v = (x) => (loss && x !== null && x !== undefined ? -x : x);
  const unit = loss ? ' loss' : '';
  return {
    header: ['Generation', `Best${unit}`, `Mean${unit}`, `Median${unit}`, 'Std', 'Best individual', 'Evaluations', 'Seconds'],
    rows: [...rows].reverse().map((g) => [g.generation, v(g.best), v(g.mean), v(g.median), g.std,
      g.best_individual, g.evaluations ?? null, g.total_seconds]),
  };
}
