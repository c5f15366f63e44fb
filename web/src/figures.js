// Figures and tables that leave the dashboard as files: the fitness curves as SVG (and PNG,
// rendered from the SVG in the page) and as a long CSV with every run's value at every
// generation; the comparison table as CSV and as a LaTeX table. Plus the bootstrap percentile
// interval the curves can show instead of the Student-t one. Everything but `download` and
// `svgToPng` is a pure function (tested with Node in tests/web/units_test.mjs).
import { colorAt } from './charts.js';

// A small deterministic PRNG (mulberry32), so the bootstrap band is the same on every redraw.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The percentile bootstrap interval of the mean of `values`: `reps` resamples with
// replacement, the (1-level)/2 and (1+level)/2 quantiles of their means. Every resampled mean
// lies between the smallest and largest value, so the interval stays within the observed
// range (unlike mean ± t·s/√n with few runs). [null, null] for fewer than 2 values.
export function bootstrapInterval(values, { reps = 2000, level = 0.95, seed = 12345 } = {}) {
  const xs = values.filter((v) => v !== null && Number.isFinite(v));
  const n = xs.length;
  if (n < 2) return [null, null];
  const next = rng(seed);
  const means = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += xs[Math.floor(next() * n)];
    means[r] = sum / n;
  }
  means.sort();
  const at = (q) => {
    const pos = q * (reps - 1);
    const lo = Math.floor(pos);
    return means[lo] + (means[Math.min(reps - 1, lo + 1)] - means[lo]) * (pos - lo);
  };
  return [at((1 - level) / 2), at((1 + level) / 2)];
}

// A condition's band per generation: 't' the API's Student-t interval, 'bootstrap' the
// percentile bootstrap interval of its runs' values.
export function bandOf(condition, mode) {
  if (mode !== 'bootstrap') return { lo: condition.lo, hi: condition.hi };
  const lo = [];
  const hi = [];
  condition.generations.forEach((g, k) => {
    const [a, b] = bootstrapInterval((condition.runs ?? []).map((r) => r.values?.[k] ?? null), { seed: 1000 + g });
    lo.push(a);
    hi.push(b);
  });
  return { lo, hi };
}

export const BAND_LABELS = {
  t: '95% confidence interval of the mean (Student t)',
  bootstrap: '95% percentile bootstrap interval of the mean (2,000 resamples; within the observed values)',
};

function csvField(v) {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header, rows) {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

// Every run's value of the metric at every generation the curves carry, one row each: the
// long table pandas/R read directly. `loss` (the fitness is minus a loss: the language
// model): a last column METRIC_loss with the positive loss.
export function curvesCsv(curves, { loss = false } = {}) {
  const rows = [];
  for (const c of curves.conditions) {
    for (const run of c.runs ?? []) {
      c.generations.forEach((g, k) => {
        const v = run.values?.[k];
        if (v !== null && v !== undefined) rows.push([c.name, run.run, run.trial, g, v, ...(loss ? [-v] : [])]);
      });
    }
  }
  return csv(['condition', 'run', 'trial', 'generation', curves.metric, ...(loss ? [`${curves.metric}_loss`] : [])], rows);
}

// `loss`: as curvesCsv; three more columns, each group's mean and CI of the positive loss
// (the statistics of the pairs stay those of the fitness).
export function comparisonCsv(data, { loss = false } = {}) {
  const neg = (v) => (v === null || v === undefined ? v : -v);
  const lossCells = (g) => (loss ? [neg(g.mean), neg(g.ci95?.[1]), neg(g.ci95?.[0])] : []);
  const blank = loss ? ['', '', ''] : [];
  const rows = (data.groups ?? []).map((g) => [
    'group', g.name, g.n, g.runs_total ?? g.n, g.compared ?? true, g.mean, g.ci95?.[0], g.ci95?.[1],
    '', '', '', '', '', '', '', ...lossCells(g)]);
  for (const p of data.pairs ?? []) {
    rows.push(['pair', `${p.a} vs ${p.b}`, '', '', '', '', '', '', p.mwu?.U, p.mwu?.p, p.mwu?.method, p.p_holm,
      p.glass_delta, p.a12, p.ranksums?.z, ...blank]);
  }
  rows.push(['kruskal', '', '', '', '', '', '', '', '', data.kruskal?.p, '', '', '', '', data.kruskal?.H, ...blank]);
  return `# ${data.metric} fitness at generation ${data.generation}` +
    (loss ? ' (fitness = minus the loss; mean_loss and its CI: the positive loss)' : '') + '\n' + csv(
    ['kind', 'name', 'n', 'runs', 'compared', 'mean', 'ci95_lo', 'ci95_hi', 'U', 'p', 'method', 'p_holm',
      'glass_delta', 'a12', 'statistic', ...(loss ? ['mean_loss', 'ci95_lo_loss', 'ci95_hi_loss'] : [])], rows);
}

function tex(s) {
  return String(s).replace(/[\\{}&%$#_^~]/g, (c) => ({
    '\\': '\\textbackslash{}', '{': '\\{', '}': '\\}', '&': '\\&', '%': '\\%', $: '\\$', '#': '\\#', _: '\\_',
    '^': '\\^{}', '~': '\\~{}',
  })[c]);
}

// A number for LaTeX; `inMath`: already inside $...$ (no dollars of its own).
function texNum(v, digits = 3, inMath = false) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '--';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) {
    const [m, e] = v.toExponential(digits - 1).split('e');
    return inMath ? `${m}\\times 10^{${Number(e)}}` : `$${m}\\times 10^{${Number(e)}}$`;
  }
  return String(Number(v.toPrecision(digits)));
}

// A booktabs table: conditions (n, mean, 95% CI) and pairs (U, p, Holm p, Glass's delta, A12).
export function comparisonLatex(data) {
  const lines = [
    '% seedline comparison; needs \\usepackage{booktabs}',
    '\\begin{table}[t]', '\\centering',
    `\\caption{${tex(data.metric)} fitness at generation ${data.generation}` +
      (data.kruskal?.p !== null && data.kruskal?.p !== undefined
        ? `; Kruskal-Wallis $H = ${texNum(data.kruskal.H, 3, true)}$, $p = ${texNum(data.kruskal.p, 3, true)}$` : '') + '.}',
    '\\begin{tabular}{lrrr}', '\\toprule', 'Condition & $n$ & Mean & 95\\% CI \\\\', '\\midrule',
    ...(data.groups ?? []).map((g) => `${tex(g.name)} & ${g.n}${g.runs_total !== undefined && g.runs_total !== g.n ? `/${g.runs_total}` : ''}` +
      ` & ${texNum(g.mean)} & [${texNum(g.ci95?.[0])}, ${texNum(g.ci95?.[1])}] \\\\`),
    '\\bottomrule', '\\end{tabular}',
  ];
  if ((data.pairs ?? []).length) {
    lines.push('\\par\\medskip', '\\begin{tabular}{lrrrrr}', '\\toprule',
      'Pair & $U$ & $p$ & Holm $p$ & Glass $\\Delta$ & $A_{12}$ \\\\', '\\midrule',
      ...data.pairs.map((p) => `${tex(p.a)} vs ${tex(p.b)} & ${texNum(p.mwu?.U, 4)} & ${texNum(p.mwu?.p)} & ` +
        `${texNum(p.p_holm)} & ${texNum(p.glass_delta)} & ${texNum(p.a12)} \\\\`),
      '\\bottomrule', '\\end{tabular}');
  }
  lines.push('\\end{table}');
  return lines.join('\n') + '\n';
}

function xml(s) {
  return String(s).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]);
}

// "Nice" axis ticks: about `count` round numbers covering [lo, hi].
export function ticks(lo, hi, count = 6) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

// The curves as a standalone SVG (paper-ready: axis labels, ticks, legend, caption): per
// condition the mean line and its band (`band`: 't' or 'bootstrap'), optionally each run.
export function curvesSvg(curves, { band = 't', showRuns = false, width = 720, height = 440 } = {}) {
  const conditions = curves.conditions.map((c, i) => ({ ...c, color: colorAt(i), band: bandOf(c, band) }))
    .filter((c) => c.generations.length > 0);
  const margin = { left: 70, right: 20, top: 20, bottom: 100 };
  const pw = width - margin.left - margin.right;
  const ph = height - margin.top - margin.bottom;
  const xsAll = conditions.flatMap((c) => c.generations);
  const ysAll = conditions.flatMap((c) => [...c.mean, ...c.band.lo, ...c.band.hi,
    ...(showRuns ? (c.runs ?? []).flatMap((r) => r.values ?? []) : [])]).filter((v) => v !== null && Number.isFinite(v));
  const x0 = xsAll.length ? Math.min(...xsAll) : 0;
  const x1 = xsAll.length ? Math.max(...xsAll) : 1;
  let y0 = ysAll.length ? Math.min(...ysAll) : 0;
  let y1 = ysAll.length ? Math.max(...ysAll) : 1;
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const pad = (y1 - y0) * 0.04;
  y0 -= pad; y1 += pad;
  const sx = (x) => margin.left + (x1 === x0 ? pw / 2 : ((x - x0) / (x1 - x0)) * pw);
  const sy = (y) => margin.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const f = (v) => Number(v.toFixed(2));
  const path = (gens, ys) => {
    let d = '';
    let pen = false;
    gens.forEach((g, k) => {
      const y = ys[k];
      if (y === null || y === undefined || !Number.isFinite(y)) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${f(sx(g))},${f(sy(y))}`;
      pen = true;
    });
    return d;
  };
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  for (const t of ticks(x0, x1)) {
    parts.push(`<line x1="${f(sx(t))}" y1="${margin.top}" x2="${f(sx(t))}" y2="${margin.top + ph}" stroke="#e6e6e6"/>`,
      `<text x="${f(sx(t))}" y="${margin.top + ph + 16}" text-anchor="middle">${t}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${margin.left}" y1="${f(sy(t))}" x2="${margin.left + pw}" y2="${f(sy(t))}" stroke="#e6e6e6"/>`,
      `<text x="${margin.left - 6}" y="${f(sy(t)) + 4}" text-anchor="end">${t}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text class="x-label" x="${margin.left + pw / 2}" y="${margin.top + ph + 36}" text-anchor="middle" font-size="13">generation</text>`,
    `<text class="y-label" transform="translate(16,${margin.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="13">${xml(`fitness (${curves.metric} of a generation)`)}</text>`);
  for (const c of conditions) {
    // The band: upper bound left to right, lower bound back.
    const up = [];
    const down = [];
    c.generations.forEach((g, k) => {
      if (c.band.lo[k] !== null && c.band.hi[k] !== null && Number.isFinite(c.band.lo[k]) && Number.isFinite(c.band.hi[k])) {
        up.push(`${f(sx(g))},${f(sy(c.band.hi[k]))}`);
        down.unshift(`${f(sx(g))},${f(sy(c.band.lo[k]))}`);
      }
    });
    if (up.length > 1) parts.push(`<polygon class="band" points="${[...up, ...down].join(' ')}" fill="${c.color}" fill-opacity="0.16" stroke="none"/>`);
    if (showRuns) {
      for (const r of c.runs ?? []) {
        parts.push(`<path class="run" data-run="${r.run}" d="${path(c.generations, r.values ?? [])}" fill="none" stroke="${c.color}" stroke-opacity="0.5" stroke-dasharray="4 3"/>`);
      }
    }
    parts.push(`<path class="mean" d="${path(c.generations, c.mean)}" fill="none" stroke="${c.color}" stroke-width="2"><title>${xml(c.name)}</title></path>`);
  }
  // Legend and caption below the plot.
  let lx = margin.left;
  const ly = margin.top + ph + 58;
  for (const c of conditions) {
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="18" height="10" fill="${c.color}"/>`,
      `<text class="legend" x="${lx + 24}" y="${ly}">${xml(c.name)}</text>`);
    lx += 40 + 7.5 * c.name.length;
  }
  parts.push(`<text class="caption" x="${margin.left}" y="${ly + 24}" font-size="11" fill="#555">${xml(
    `Lines: mean over runs of each generation's ${curves.metric} fitness; bands: ${BAND_LABELS[band] ?? BAND_LABELS.t}.`)}</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

// Renders an SVG string to a PNG Blob of the same size times `scale` (browser only).
export function svgToPng(svg, { width, height, scale = 2 }) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = width * scale;
      canvas.height = height * scale;
      const ctx = canvas.getContext('2d');
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0, width, height);
      URL.revokeObjectURL(url);
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png');
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('the SVG could not be rendered'));
    };
    img.src = url;
  });
}

// Saves `content` (a string or Blob) as a file download (browser only).
export function download(filename, content, type = 'text/plain') {
  const blob = content instanceof Blob ? content : new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
