// A run's family tree (GET /api/runs/{id}/tree, by default pruned to the ancestors of the
// final population) drawn on a canvas: x = birth generation, one row per leaf in depth-first
// order with children in id order, each parent centred on its children; every branch is
// coloured by the child's fitness (viridis, low = dark purple, high = yellow) and extant
// individuals get a dot. No recursion and one stroke per colour bucket, so 100,000 nodes lay
// out and draw well under a second. `layoutTree` is pure (tested in units_test.mjs).
import { h, num } from './dom.js';
import { ticks } from './figures.js';

// Viridis at 9 stops (matplotlib's values), interpolated.
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

export function viridis(t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = parseInt(VIRIDIS[i].slice(1), 16);
  const b = parseInt(VIRIDIS[i + 1].slice(1), 16);
  const mix = (shift) => Math.round(((a >> shift) & 255) * (1 - f) + ((b >> shift) & 255) * f);
  return `rgb(${mix(16)}, ${mix(8)}, ${mix(0)})`;
}

// Positions for the arrays of the tree endpoint: {x: generation, y: row (leaves 0..leaves-1,
// a parent at the middle of its children), leaves, order (indexes, depth first)}.
export function layoutTree(tree) {
  const n = tree.ids.length;
  const parents = tree.parents;
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) if (parents[i] >= 0) start[parents[i] + 1]++;
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const children = new Int32Array(Math.max(0, start[n]));
  for (let i = 0; i < n; i++) if (parents[i] >= 0) children[fill[parents[i]]++] = i;
  const y = new Float64Array(n);
  const order = new Int32Array(n);
  let leaves = 0;
  let k = 0;
  const stack = [];
  for (let r = n - 1; r >= 0; r--) if (parents[r] < 0) stack.push(r);  // roots in id order (popped first = smallest)
  while (stack.length) {
    const i = stack.pop();
    order[k++] = i;
    if (start[i + 1] === start[i]) y[i] = leaves++;
    for (let c = start[i + 1] - 1; c >= start[i]; c--) stack.push(children[c]);
  }
  // Parents after their children: ids grow down the tree, so a reverse index sweep works.
  const lo = new Float64Array(n).fill(Infinity);
  const hi = new Float64Array(n).fill(-Infinity);
  for (let i = n - 1; i >= 0; i--) {
    if (start[i + 1] > start[i]) y[i] = (lo[i] + hi[i]) / 2;
    const p = parents[i];
    if (p >= 0) {
      if (y[i] < lo[p]) lo[p] = y[i];
      if (y[i] > hi[p]) hi[p] = y[i];
    }
  }
  return { x: tree.generations, y, leaves, order };
}

// The x position of generation g on [left, right]. A pruned tree is usually one trunk (a
// single lineage) from its root down to where the final population's ancestry branches, late
// in the run; drawn linearly, all the leaves' branching would be squeezed into the last few
// percent of the width. So when the tree is a single line up to generation `split` (the
// birth generation of the first node with two or more children) and that trunk would take
// more than a quarter of the width, the trunk gets 12% of the width and the branching part
// the rest; the axis marks the break. Returns {sx, split (null: linear)}.
export function treeXScale(tree, left, right) {
  const n = tree.ids.length;
  let gmax = 0;
  for (let i = 0; i < n; i++) if (tree.generations[i] > gmax) gmax = tree.generations[i];
  const children = new Int32Array(n);
  let roots = 0;
  for (let i = 0; i < n; i++) {
    if (tree.parents[i] >= 0) children[tree.parents[i]]++;
    else roots++;
  }
  let split = null;
  if (roots === 1) {
    // Down the trunk: from the root, the only child of each node until one has two or more.
    let node = tree.parents.findIndex((p) => p < 0);
    const next = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) if (tree.parents[i] >= 0 && children[tree.parents[i]] === 1) next[tree.parents[i]] = i;
    while (node >= 0 && children[node] === 1) node = next[node];
    if (node >= 0 && children[node] >= 2) split = tree.generations[node];
  }
  const width = right - left;
  const linear = (g) => left + (gmax > 0 ? (g / gmax) * width : 0);
  if (split === null || gmax <= 0 || split / gmax <= 0.25) return { sx: linear, split: null, gmax };
  const trunk = 0.12 * width;
  const sx = (g) => (g <= split ? left + (split > 0 ? (g / split) * trunk : 0)
    : left + trunk + ((g - split) / (gmax - split)) * (width - trunk));
  return { sx, split, gmax };
}

const BUCKETS = 48;

// Draws `tree` into `canvas` (CSS size from the page, device pixels for sharpness).
// Returns {ms, range: [min, max] fitness}.
export function drawTree(canvas, tree) {
  const t0 = performance.now();
  const n = tree.ids.length;
  const layout = layoutTree(tree);
  const finite = tree.fitness.filter((f) => f !== null && Number.isFinite(f));
  let fmin = Infinity;
  let fmax = -Infinity;
  for (const f of finite) {
    if (f < fmin) fmin = f;
    if (f > fmax) fmax = f;
  }
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 900;
  const height = canvas.clientHeight || 520;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  const pad = { left: 12, right: 12, top: 10, bottom: 26 };
  const scale = treeXScale(tree, pad.left, width - pad.right);
  const { sx, gmax } = scale;
  const rows = Math.max(1, layout.leaves - 1);
  const sy = (r) => pad.top + (layout.leaves > 1 ? (r / rows) * (height - pad.top - pad.bottom) : (height - pad.bottom) / 2);
  // Vertical connectors in grey, one path.
  ctx.strokeStyle = '#c9ced6';
  ctx.lineWidth = 0.6;
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    const p = tree.parents[i];
    if (p < 0) continue;
    const x = sx(layout.x[p]);
    ctx.moveTo(x, sy(layout.y[p]));
    ctx.lineTo(x, sy(layout.y[i]));
  }
  ctx.stroke();
  // Horizontal branches by fitness bucket.
  const bucketOf = (f) => (f === null || !Number.isFinite(f) || fmax === fmin ? BUCKETS - 1
    : Math.min(BUCKETS - 1, Math.floor(((f - fmin) / (fmax - fmin)) * BUCKETS)));
  const paths = Array.from({ length: BUCKETS }, () => []);
  for (let i = 0; i < n; i++) paths[bucketOf(tree.fitness[i])].push(i);
  ctx.lineWidth = 1.2;
  paths.forEach((members, b) => {
    if (!members.length) return;
    ctx.strokeStyle = viridis((b + 0.5) / BUCKETS);
    ctx.beginPath();
    for (const i of members) {
      const p = tree.parents[i];
      const y = sy(layout.y[i]);
      ctx.moveTo(p < 0 ? sx(0) - 4 : sx(layout.x[p]), y);
      ctx.lineTo(Math.max(sx(layout.x[i]), (p < 0 ? sx(0) - 4 : sx(layout.x[p])) + 1), y);
    }
    ctx.stroke();
  });
  // Extant individuals: a dot at their end.
  ctx.fillStyle = '#111';
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    if (!tree.extant[i]) continue;
    const x = sx(layout.x[i]);
    const y = sy(layout.y[i]);
    ctx.moveTo(x + 1.6, y);
    ctx.arc(x, y, 1.6, 0, 2 * Math.PI);
  }
  ctx.fill();
  // Generation axis.
  ctx.fillStyle = '#555';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  if (scale.split === null) {
    for (const g of ticks(0, gmax, 8)) if (Number.isInteger(g)) ctx.fillText(String(g), sx(g), height - 8);
  } else {
    // The compressed trunk: its ends labelled, a dashed line at the break.
    ctx.fillText('0', sx(0), height - 8);
    for (const g of ticks(scale.split, gmax, 8)) if (Number.isInteger(g) && g >= scale.split) ctx.fillText(String(g), sx(g), height - 8);
    ctx.strokeStyle = '#999';
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(sx(scale.split), pad.top);
    ctx.lineTo(sx(scale.split), height - pad.bottom + 4);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  return { ms: performance.now() - t0, range: [finite.length ? fmin : null, finite.length ? fmax : null], leaves: layout.leaves,
    split: scale.split };
}

// The card of the run page: the canvas, a colour scale, and what was drawn.
export function treeSection(tree) {
  const canvas = h('canvas', { class: 'tree-canvas', id: 'tree-canvas' });
  const scale = h('canvas', { width: 200, height: 10 });
  const info = h('p', { class: 'caption tree-info' });
  const box = h('div', { class: 'tree' }, canvas,
    h('div', { class: 'tree-scale' }, h('span', { class: 'tree-min' }), scale, h('span', { class: 'tree-max' }),
      h('span', {}, 'fitness at birth; dots: the final population')), info);
  return {
    element: box,
    draw() {
      if (tree.ids.length === 0) {
        box.replaceChildren(h('p', { class: 'empty' }, 'No generation has been committed yet.'));
        return null;
      }
      const result = drawTree(canvas, tree);
      const sctx = scale.getContext('2d');
      for (let x = 0; x < 200; x++) {
        sctx.fillStyle = viridis(x / 199);
        sctx.fillRect(x, 0, 1, 10);
      }
      box.querySelector('.tree-min').textContent = num(result.range[0]);
      box.querySelector('.tree-max').textContent = num(result.range[1]);
      canvas.dataset.renderMs = result.ms.toFixed(1);
      canvas.dataset.nodes = String(tree.ids.length);
      info.textContent = `${tree.ids.length.toLocaleString('en')} individuals ` +
        (tree.extant_only ? 'that are ancestors of (or in) the final population, ' : '') +
        `${result.leaves.toLocaleString('en')} leaves, generations 0–${tree.last_generation}` +
        (result.split !== null ? `; generations 0–${result.split}, a single lineage, are compressed left of the dashed line` : '') +
        `; drawn in ${result.ms.toFixed(0)} ms.`;
      return result;
    },
  };
}
