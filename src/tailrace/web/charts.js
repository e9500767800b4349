// Chart builders over Chart.js 4 (window.Chart, loaded by a classic <script> from static/vendor/).
// Every chart is registered in `charts` (and window.tailraceCharts) by its canvas id, so a new
// drawing replaces the old one and the browser tests can count each chart's series.

const Chart = window.Chart;
export const charts = {};
window.tailraceCharts = charts;

const C = {
  blue: "#1f5fbf", blueA: "rgba(31,95,191,.35)", orange: "#d9730d", orangeA: "rgba(217,115,13,.35)",
  green: "#2e8540", red: "#b3261e", grey: "#7a8493", purple: "#6f42c1",
};

// Vertical marker lines (VaR, CVaR, mean) at data values on the x axis. On a category axis of
// histogram bins the value is placed by its position between the first and last bin edge.
const markerPlugin = {
  id: "markers",
  afterDatasetsDraw(chart, _args, opts) {
    const lines = (opts && opts.lines) || [];
    if (!lines.length) return;
    const { ctx, chartArea: a, scales } = chart;
    const x = scales.x;
    const toPx = (v) => {
      if (x.type === "linear") return x.getPixelForValue(v);
      const [lo, hi] = opts.range;
      return x.left + ((v - lo) / (hi - lo)) * (x.right - x.left);
    };
    ctx.save();
    ctx.font = "11px system-ui, sans-serif";
    lines.forEach((ln, k) => {
      if (ln.value == null || !isFinite(ln.value)) return;
      const px = toPx(ln.value);
      if (px < a.left - 1 || px > a.right + 1) return;
      ctx.strokeStyle = ln.color; ctx.fillStyle = ln.color; ctx.lineWidth = 2;
      ctx.setLineDash(ln.dash || []);
      ctx.beginPath(); ctx.moveTo(px, a.top); ctx.lineTo(px, a.bottom); ctx.stroke();
      ctx.setLineDash([]);
      const y = a.top + 10 + 12 * (k % 6);  // labels on staggered rows, so close lines stay readable
      const w = ctx.measureText(ln.label).width;
      const tx = px + 3 + w > a.right ? px - 3 - w : px + 3;
      ctx.fillText(ln.label, tx, y);
    });
    ctx.restore();
  },
};
Chart.register(markerPlugin);

Chart.defaults.animation = false;        // drawn at once: quicker, and screenshots show the final state
Chart.defaults.responsive = true;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = "system-ui, sans-serif";

/** Draw (or redraw) the chart on canvas `id` with config `cfg`; returns the Chart. */
function draw(id, cfg) {
  if (charts[id]) charts[id].destroy();
  const canvas = document.getElementById(id);
  charts[id] = new Chart(canvas, cfg);
  return charts[id];
}

const fmt = (v, d = 1) => (v == null || !isFinite(v) ? "–" : Number(v).toFixed(d));

/** Per-driver quantile ribbons: bar p5–p95, points at p50, p99 and the mean (4 series). */
export function driverChart(id, drivers) {
  const narrow = window.innerWidth < 600;
  return draw(id, {
    type: "bar",
    data: {
      labels: drivers.map((d) => d.name),
      datasets: [
        { label: "p5–p95", data: drivers.map((d) => [d.p5, d.p95]), backgroundColor: C.blueA, borderColor: C.blue,
          borderWidth: 1, barPercentage: 0.7, indexAxis: "y", order: 4 },
        { type: "line", label: "median (p50)", data: drivers.map((d) => d.p50), showLine: false, pointStyle: "rectRot",
          pointRadius: 5, backgroundColor: C.blue, borderColor: C.blue, indexAxis: "y", order: 1 },
        { type: "line", label: "p99", data: drivers.map((d) => d.p99), showLine: false, pointStyle: "triangle",
          pointRadius: 5, backgroundColor: C.red, borderColor: C.red, indexAxis: "y", order: 2 },
        { type: "line", label: "mean", data: drivers.map((d) => d.mean), showLine: false, pointStyle: "circle",
          pointRadius: 3, backgroundColor: C.orange, borderColor: C.orange, indexAxis: "y", order: 3 },
      ],
    },
    options: {
      indexAxis: "y",
      scales: { x: { title: { display: true, text: "points" }, beginAtZero: true },
                y: { ticks: { autoSkip: false, font: { size: narrow ? 9 : 11 } } } },
      plugins: { legend: { position: "top" },
        tooltip: { callbacks: { label: (c) => c.datasetIndex === 0
          ? `p5–p95: ${fmt(c.raw[0])}–${fmt(c.raw[1])}` : `${c.dataset.label}: ${fmt(c.raw)}` } } },
    },
  });
}

/** Exposure bars against ownership (percent), one row per driver; ownership omitted when unknown. */
export function exposureChart(id, rows, hasOwnership) {
  const ds = [{ label: "exposure %", data: rows.map((r) => 100 * r.exposure), backgroundColor: C.blue, indexAxis: "y" }];
  if (hasOwnership) {
    ds.push({ label: "ownership %", data: rows.map((r) => r.ownership), backgroundColor: C.orangeA,
              borderColor: C.orange, borderWidth: 1, indexAxis: "y" });
  }
  return draw(id, {
    type: "bar",
    data: { labels: rows.map((r) => r.name), datasets: ds },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, title: { display: true, text: "%" } },
                                          y: { ticks: { autoSkip: false, font: { size: 10 } } } } },
  });
}

/** Optimal % against ownership per driver (2 series); leverage (their difference) in the tooltip. */
export function optimalChart(id, rows) {
  return draw(id, {
    type: "bar",
    data: { labels: rows.map((r) => r.name), datasets: [
      { label: "optimal %", data: rows.map((r) => r.optimal_pct), backgroundColor: C.purple, indexAxis: "y" },
      { label: "ownership %", data: rows.map((r) => r.ownership_pct), backgroundColor: C.orangeA, borderColor: C.orange,
        borderWidth: 1, indexAxis: "y" }] },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, title: { display: true, text: "%" } },
                                          y: { ticks: { autoSkip: false, font: { size: 10 } } } },
      plugins: { tooltip: { callbacks: { footer: (items) => {
        const r = rows[items[0].dataIndex];
        return `leverage ${r.leverage >= 0 ? "+" : ""}${fmt(r.leverage, 1)} points`;
      } } } } },
  });
}

/** Histogram bin labels (centres) for edges. */
function centres(edges, d = 0) {
  const out = [];
  for (let i = 0; i + 1 < edges.length; i++) out.push(fmt((edges[i] + edges[i + 1]) / 2, d));
  return out;
}

/** A lineup's score histogram, in-sample and fresh (shares of scenarios), with VaR/CVaR lines. */
export function lineupChart(id, dist, lines) {
  const share = (counts, n) => counts.map((c) => c / n);
  const ds = [{ label: `in-sample (${dist.n_in_sample} races)`, data: share(dist.in_sample, dist.n_in_sample),
                backgroundColor: C.blueA, borderColor: C.blue, borderWidth: 1, barPercentage: 1, categoryPercentage: 1 }];
  if (dist.fresh) {
    ds.push({ label: `fresh (${dist.n_fresh} races)`, data: share(dist.fresh, dist.n_fresh),
              backgroundColor: C.orangeA, borderColor: C.orange, borderWidth: 1, barPercentage: 1, categoryPercentage: 1 });
  }
  return draw(id, {
    type: "bar",
    data: { labels: centres(dist.edges), datasets: ds },
    options: {
      scales: { x: { title: { display: true, text: "lineup points" } },
                y: { title: { display: true, text: "share of races" }, beginAtZero: true } },
      plugins: { markers: { lines, range: [dist.edges[0], dist.edges[dist.edges.length - 1]] } },
    },
  });
}

/** Each driver's share of the lineup's tail score (1 series). */
export function shareChart(id, drivers) {
  return draw(id, {
    type: "bar",
    data: { labels: drivers.map((d) => d.name),
            datasets: [{ label: "share of tail score %", data: drivers.map((d) => 100 * d.share_of_tail_score),
                         backgroundColor: C.green }] },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "%" } },
                         x: { ticks: { autoSkip: false, maxRotation: 60, minRotation: 0 } } } },
  });
}

/** Estimates with 95 % error bars: a floating bar for the interval and a point for the estimate (2 series). */
export function errorBarChart(id, labels, est, se, scale, unit) {
  const z = 1.96;
  return draw(id, {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: "95 % interval", data: est.map((v, i) => [scale * (v - z * se[i]), scale * (v + z * se[i])]),
          backgroundColor: C.blueA, borderColor: C.blue, borderWidth: 1, barPercentage: 0.35, order: 2 },
        { type: "line", label: "estimate", data: est.map((v) => scale * v), showLine: false, pointRadius: 4,
          backgroundColor: C.red, borderColor: C.red, order: 1 },
      ],
    },
    options: { scales: { y: { title: { display: true, text: unit } } } },
  });
}

/** The portfolio's profit histogram (log count) with mean and lower-CVaR lines (1 series + markers). */
export function profitChart(id, pd) {
  return draw(id, {
    type: "bar",
    data: { labels: centres(pd.edges), datasets: [{ label: "races", data: pd.counts.map((c) => (c > 0 ? c : null)),
                                                    backgroundColor: C.purple, barPercentage: 1, categoryPercentage: 1 }] },
    options: {
      scales: { x: { title: { display: true, text: "portfolio profit ($)" } },
                y: { type: "logarithmic", min: 0.8, title: { display: true, text: "races (log)" } } },
      plugins: { markers: { range: [pd.edges[0], pd.edges[pd.edges.length - 1]], lines: [
        { value: pd.mean, label: `mean ${fmt(pd.mean, 0)}`, color: C.green },
        { value: pd.lower_cvar, label: `lower CVaR ${pd.alpha} ${fmt(pd.lower_cvar, 0)}`, color: C.red, dash: [5, 3] },
      ] } },
    },
  });
}

const MODEL_COLOURS = [C.blue, C.orange, C.grey, C.green];

/** Backtest: the best lineup's percentile per race (x) and method (one bar series each), with the
 *  top-1 % line at 99; `title` says SYNTHETIC when any race's salaries are (one series per method). */
export function percentileChart(id, labels, series, title) {
  const all = series.flatMap((s) => s.data).filter((v) => v != null);
  const lo = Math.max(0, Math.floor(Math.min(90, ...all) - 1));
  return draw(id, {
    type: "bar",
    data: { labels, datasets: series.map((s, k) => ({ label: s.label, data: s.data,
      backgroundColor: [C.blue, C.orange, C.grey, C.green][k % 4] })) },
    options: {
      scales: { y: { min: lo, max: 100, title: { display: true, text: "best lineup percentile" } },
                x: { ticks: { autoSkip: false, maxRotation: 90, minRotation: 0 } } },
      plugins: { title: { display: true, text: title },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmt(c.raw, 3)}` } } },
    },
  });
}

/** Models with tailrace's own first (so it always gets the first colour), then the baselines. */
function modelEntries(models) {
  return Object.entries(models).sort(([a], [b]) => (b === "tailrace") - (a === "tailrace") || a.localeCompare(b));
}

/** Interval coverage per model: nominal level against observed share, with the diagonal. */
export function coverageChart(id, models, quantity) {
  const ds = [{ label: "perfect", data: [{ x: 0, y: 0 }, { x: 100, y: 100 }], borderColor: "#bbb", borderDash: [4, 4],
                pointRadius: 0, showLine: true }];
  modelEntries(models).forEach(([name, m], k) => {
    const cov = (m.coverage || {})[quantity] || {};
    const pts = Object.keys(cov).map(Number).sort((a, b) => a - b).map((lv) => ({ x: lv, y: 100 * cov[String(lv)] }));
    ds.push({ label: name, data: pts, borderColor: MODEL_COLOURS[k % 4], backgroundColor: MODEL_COLOURS[k % 4], showLine: true });
  });
  return draw(id, { type: "scatter", data: { datasets: ds }, options: { scales: {
    x: { min: 0, max: 100, title: { display: true, text: "nominal %" } },
    y: { min: 0, max: 100, title: { display: true, text: "observed %" } } } } });
}

/** Reliability of the top-10 chances per model: mean forecast against observed rate per bin. */
export function reliabilityChart(id, models) {
  const ds = [{ label: "perfect", data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: "#bbb", borderDash: [4, 4],
                pointRadius: 0, showLine: true }];
  modelEntries(models).forEach(([name, m], k) => {
    const pts = (m.reliability_top10 || []).filter((b) => b.count > 0 && b.mean_forecast != null)
      .map((b) => ({ x: b.mean_forecast, y: b.observed_rate }));
    ds.push({ label: name, data: pts, borderColor: MODEL_COLOURS[k % 4], backgroundColor: MODEL_COLOURS[k % 4], showLine: true });
  });
  return draw(id, { type: "scatter", data: { datasets: ds }, options: { scales: {
    x: { min: 0, max: 1, title: { display: true, text: "forecast top-10 chance" } },
    y: { min: 0, max: 1, title: { display: true, text: "observed rate" } } } } });
}

/** Contest day: entries per contest against each contest's limit (2 series). */
export function allocationChart(id, names, entries, limits) {
  return draw(id, {
    type: "bar",
    data: { labels: names, datasets: [
      { label: "entries planned", data: entries, backgroundColor: C.blue },
      { label: "limit (max entries, file rows, stake cap)", data: limits, backgroundColor: C.blueA } ] },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, title: { display: true, text: "entries" } } } },
  });
}

export { C as colours, fmt };
