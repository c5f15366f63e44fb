// Small DOM and formatting helpers shared by the views. Everything the API returns is put
// into the page as text nodes (never innerHTML), so names from a database cannot inject markup.

// h('a', {href: '#/x', class: 'link'}, 'text', childNode, [more, children]) -> element.
// Attributes starting with "on" are event listeners; null/undefined/false attributes and
// children are skipped.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// "n/a" for null, undefined and non-finite numbers; otherwise 4 significant digits, switching
// to exponent notation for very large or small magnitudes.
export function num(value, digits = 4) {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  if (value === 0) return '0';
  const mag = Math.abs(value);
  if (mag >= 1e6 || mag < 1e-3) return value.toExponential(digits - 1).replace('e+', 'e');
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(digits)));
}

// p-values: 3 significant digits, exponent notation below 0.001.
export function pval(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  if (value !== 0 && value < 1e-3) return value.toExponential(2).replace('e+', 'e');
  return value.toFixed(3);
}

// An ISO-8601 timestamp as "2026-11-24 18:00 UTC"; anything else is shown as it is.
export function when(iso) {
  if (typeof iso !== 'string') return 'n/a';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

export const RUN_STATES = ['queued', 'running', 'paused', 'finished', 'failed'];

export function stateBadge(state) {
  return h('span', { class: `badge state-${RUN_STATES.includes(state) ? state : 'unknown'}` }, state ?? 'unknown');
}

// A <table> from column headers and rows of cells (strings or nodes).
export function table(headers, rows, attrs = {}) {
  return h('table', attrs,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((x) => h('td', {}, x))))));
}

// A card: a titled section of the page.
export function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...children);
}

// A definition list of [label, value] rows.
export function fields(rows) {
  return h('dl', { class: 'fields' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}
