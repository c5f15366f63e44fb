// The runs of an experiment as a table: condition, trial, state, progress (committed
// generations of the configured total), best fitness so far and a link to the best individual.
import { h, num, stateBadge, table } from './dom.js';

// True while any run may still change: queued or running (paused runs wait for a user).
export function isLive(runs) {
  return runs.some((r) => r.state === 'queued' || r.state === 'running');
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

export function runsTable(runs) {
  if (runs.length === 0) return h('p', { class: 'empty' }, 'This experiment has no runs.');
  return table(['Run', 'Condition', 'Trial', 'State', 'Progress (generations)', 'Best fitness', 'Best individual'],
    runs.map((r) => [
      h('a', { href: `#/runs/${r.id}` }, `run ${r.id}`),
      r.condition,
      String(r.trial),
      h('span', {}, stateBadge(r.state), r.message ? h('div', { class: 'run-message' }, r.message) : null),
      progress(r.generation, r.generations),
      num(r.best_fitness),
      individualLink(r.best_individual),
    ]), { class: 'runs' });
}
