// The experiments list (GET /api/experiments): name, creation time, conditions and the runs
// by state, refreshed every few seconds while any run is queued or running.
import { getJson } from './api.js';
import { h, when, table, card, RUN_STATES } from './dom.js';
import { errorBox } from './errors.js';
import { Poller } from './poller.js';

const POLL_SECONDS = 4;

export function isActive(states) {
  return (states?.queued ?? 0) + (states?.running ?? 0) > 0;
}

function statesCell(states, total) {
  const parts = RUN_STATES.filter((s) => (states?.[s] ?? 0) > 0)
    .map((s) => h('span', { class: `badge state-${s}` }, `${states[s]} ${s}`));
  const done = (states?.finished ?? 0) + (states?.failed ?? 0);
  return h('div', { class: 'states' },
    h('div', { class: 'progress', title: `${done} of ${total} runs done` },
      h('div', { class: 'progress-bar', style: `width: ${total ? (100 * done) / total : 0}%` })),
    parts.length ? parts : h('span', { class: 'muted' }, 'no runs'));
}

function experimentsTable(list) {
  if (list.length === 0) {
    return h('p', { class: 'empty' }, 'No experiments yet. Submit one with ',
      h('code', {}, 'seedline submit EXPERIMENT.json'), ' or ', h('code', {}, 'seedline run EXPERIMENT.json'), '.');
  }
  return table(['Experiment', 'Created', 'Conditions', 'Runs', 'States'], list.map((e) => [
    h('a', { href: `#/experiments/${e.id}`, class: 'experiment-link' }, e.name),
    when(e.created_at),
    h('div', { class: 'chips' }, (e.conditions ?? []).map((c) => h('span', { class: 'chip' }, c))),
    String(e.runs),
    statesCell(e.states, e.runs),
  ]), { class: 'experiments' });
}

export async function renderExperiments(root, ctx) {
  const data = await getJson('/api/experiments');
  if (!ctx.isCurrent()) return null;
  document.title = 'seedline · experiments';
  const body = h('div', {});
  const status = h('div', { class: 'poll-status' });
  root.replaceChildren(h('h1', {}, 'Experiments'), card(null, body, status));
  const show = (d) => body.replaceChildren(experimentsTable(d.experiments ?? []));
  show(data);
  const poller = new Poller(async () => {
    const d = await getJson('/api/experiments');
    show(d);
    return (d.experiments ?? []).some((e) => isActive(e.states));
  }, POLL_SECONDS, (e) => status.replaceChildren(e ? errorBox(e, 'Update failed (retrying)') : ''));
  if ((data.experiments ?? []).some((e) => isActive(e.states))) poller.start();
  return () => poller.stop();
}
