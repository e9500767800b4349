// The backtest view: start a POST /backtest job (a history, real DraftKings salary files named
// like dk_2023_r02_auto_club.csv and/or synthetic salaries for seasons), follow it, and show the
// pooled table per salary kind and the best lineup's percentile per race and method. Anything
// from synthetic salaries is labelled SYNTHETIC. The job id lives in the URL hash (bt=...).
//
// The page's shared helpers (messages, jobs, hash) come from app.js through initBacktest, so this
// module imports only the API client and the charts.

import { api } from "./api.js";
import * as ch from "./charts.js";

const $ = (id) => document.getElementById(id);
const fmt = ch.fmt;
const NAME = /^dk_(\d{4})_r(\d{1,2})(?:_.*)?\.csv$/i;
const LABELS = { contest: "contest mode", marginal: "upper-CVaR marginal", hvz: "HVZ mean + overlap",
                 randomised: "randomised mean" };
const kindLabel = (k) => (k === "synthetic" ? "SYNTHETIC salaries" : "real salaries");

let h = null;  // helpers from app.js
export const bt = { result: null, jobId: null };

/** Seasons text ("2023", "2021-2023", "2022, 2023") as a list of years; throws with the fix. */
function parseSeasons(text) {
  const out = [];
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{4})(?:\s*-\s*(\d{4}))?$/.exec(part);
    if (!m) throw new Error(`'${part}' is not a season — fix: e.g. 2023, 2021-2023 or 2022, 2023`);
    const a = Number(m[1]), b = Number(m[2] || m[1]);
    if (b < a) throw new Error(`'${part}': the range runs backwards — fix: e.g. 2021-2023`);
    for (let y = a; y <= b; y++) out.push(y);
  }
  return out;
}

/** Which error box a problem of a backtest request belongs to. */
function btField(d) {
  const where = `${d.field || ""} ${(d.loc || []).join(".")}`;
  if (/slates/.test(where)) return "err-btSlates";
  if (/seasons|synthetic/.test(where)) return "err-btSeasons";
  if (/history/.test(where)) return "err-btHistory";
  for (const f of ["n_lineups", "n_scenarios", "field_draws", "field_size", "cash_field_size", "min_history_races",
                   "params_refit_every", "seed", "methods"]) {
    if (new RegExp(`(^|[ .])${f}$`).test(where.trim())) return `err-bt-${f}`;
  }
  return null;
}

const num = (id) => Number($(id).value);

async function buildRequest(state) {
  const problems = [];
  let historyId = null;
  const hf = $("btHistory").files[0];
  if (hf) {
    const fd = new FormData();
    fd.append("history", hf, hf.name);
    historyId = (await api("histories", { method: "POST", form: fd })).history_id;
  } else if (state.history) historyId = state.history.history_id;
  else problems.push(["err-btHistory", "choose the race results (history CSV) to backtest against"]);
  const slates = [];
  for (const f of $("btSlates").files) {
    const m = NAME.exec(f.name);
    if (!m) { problems.push(["err-btSlates", `cannot tell the race of '${f.name}' from its name — fix: rename it like dk_2023_r02_auto_club.csv`]); continue; }
    slates.push({ season: Number(m[1]), race_num: Number(m[2]), file_name: f.name, salaries: await f.text() });
  }
  const body = { history_id: historyId, n_lineups: num("btLineups"), n_scenarios: num("btScen"),
                 field_draws: num("btDraws"), field_size: num("btField"), cash_field_size: num("btCash"),
                 min_history_races: num("btMinHist"), params_refit_every: num("btRefit"), seed: num("btSeed"),
                 methods: [...document.querySelectorAll("input[name=btMethod]:checked")].map((e) => e.value) };
  if (!body.methods.length) problems.push(["err-bt-methods", "tick at least one method"]);
  if (slates.length) body.slates = slates;
  if ($("btSynthetic").checked) {
    body.synthetic_salaries = true;
    try { body.seasons = parseSeasons($("btSeasons").value); } catch (e) { problems.push(["err-btSeasons", e.message]); }
    if (body.seasons && !body.seasons.length) problems.push(["err-btSeasons", "give the seasons to run with synthetic salaries, e.g. 2023"]);
  } else if (!slates.length) {
    problems.push(["err-btSlates", "choose real salary files, or tick synthetic salaries and give seasons"]);
  }
  return { body, problems };
}

async function start(ev, state) {
  ev.preventDefault();
  h.clearErrors("secBacktest");
  $("btRun").disabled = true;
  try {
    const { body, problems } = await buildRequest(state);
    if (problems.length) {
      for (const [id, text] of problems) h.fieldError(id, text);
      h.setStatus("the backtest form has problems", true);
      return;
    }
    h.setStatus("starting the backtest…");
    const r = await api("backtest", { method: "POST", json: body });
    bt.jobId = r.job_id;
    h.writeHash({ bt: r.job_id });
    $("btOut").hidden = true;
    await follow(r.job_id);
  } catch (e) {
    h.showError(e, btField, "btProblems");
  } finally {
    $("btRun").disabled = false;
  }
}

/** Follow backtest job `jobId` to its end and show the result. */
export async function follow(jobId) {
  bt.jobId = jobId;
  bt.result = await h.runJob("bt", jobId);
  render();
  h.setStatus(`backtest done: ${bt.result.races.length} race(s), ${bt.result.skipped.length} skipped`);
}

function cell(col, v, text) {
  const td = document.createElement("td");
  td.dataset.col = col;
  if (v != null) td.dataset.v = String(v);
  td.textContent = text;
  return td;
}

const pm = (v, se, d = 3) => (v == null || !isFinite(v) ? "–" : fmt(v, d) + (se != null && isFinite(se) ? ` ± ${fmt(se, d)}` : ""));

// The store keeps a job's JSON with sorted keys, so method order comes from options.methods (the
// request's order, METHODS order): its first is the reference of the paired differences.
function pooledTable(kind, p, order) {
  const methods = order.filter((m) => m in p.methods);
  const ref = methods[0];
  const t = document.createElement("table");
  t.className = "btPooled";
  t.dataset.kind = kind;
  t.setAttribute("aria-label", `Backtest pooled over ${p.races} races, ${kindLabel(kind)}`);
  const cols = ["method", "mean percentile", "top 0.1 %", "top 1 %", "mean gap", "GPP ROI", "double-up ROI",
                `GPP ROI ${LABELS[ref] || ref} − this (paired)`];
  t.append(h.el("thead", {}, h.el("tr", {}, ...cols.map((c) => h.el("th", { scope: "col", text: c })))));
  const tb = document.createElement("tbody");
  for (const m of methods) {
    const f = p.methods[m];
    const tr = document.createElement("tr");
    tr.dataset.method = m;
    tr.append(cell("method", m, f.label),
      cell("mean_percentile", f.mean_percentile, pm(f.mean_percentile, f.mean_percentile_se, 2)),
      cell("share_top_0_1pct", f.share_top_0_1pct, `${fmt(100 * f.share_top_0_1pct, 0)} %`),
      cell("share_top_1pct", f.share_top_1pct, `${fmt(100 * f.share_top_1pct, 0)} %`),
      cell("mean_gap", f.mean_gap, fmt(f.mean_gap, 1)),
      cell("gpp_roi", f.gpp_roi, pm(f.gpp_roi, f.gpp_roi_se)),
      cell("cash_roi", f.cash_roi, pm(f.cash_roi, f.cash_roi_se)),
      cell("paired", f[`gpp_roi_${ref}_minus_this`], pm(f[`gpp_roi_${ref}_minus_this`], f[`gpp_roi_${ref}_minus_this_se`])));
    tb.append(tr);
  }
  t.append(tb);
  return t;
}

function raceTable(res) {
  const t = $("btRaceTable");
  const cols = ["race", "track", "salaries", "method", "best pts", "percentile", "gap", "GPP ROI ± SE (field draws)",
                "double-up ROI ± SE (field draws)", "params fitted through"];
  t.replaceChildren(h.el("thead", {}, h.el("tr", {}, ...cols.map((c) => h.el("th", { scope: "col", text: c })))));
  const tb = document.createElement("tbody");
  for (const r of res.races) {
    for (const m of res.options.methods.filter((x) => x in r.methods)) {
      const s = r.methods[m];
      const tr = document.createElement("tr");
      const thr = r.params_fitted_through ? `${r.params_fitted_through[0]}-${String(r.params_fitted_through[1]).padStart(2, "0")}` : "none";
      tr.append(cell("race", null, `${r.season}-${String(r.race_num).padStart(2, "0")}`), cell("track", null, r.track),
        cell("salaries", r.salaries, r.salaries === "synthetic" ? "SYNTHETIC" : "real"), cell("method", m, LABELS[m] || m),
        cell("best_points", s.best_points, fmt(s.best_points, 2)), cell("percentile", s.percentile, fmt(s.percentile, 3)),
        cell("gap", s.gap, fmt(s.gap, 2)), cell("gpp_roi", s.gpp_roi, pm(s.gpp_roi, s.gpp_roi_se)),
        cell("cash_roi", s.cash_roi, pm(s.cash_roi, s.cash_roi_se)),
        cell("params", null, thr + (r.params_in_sample ? " (in-sample)" : "")));
      tb.append(tr);
    }
  }
  t.append(tb);
}

/** Draw the result: pooled tables per salary kind, the percentile chart, the per-race table, skips. */
export function render() {
  const res = bt.result;
  if (!res) return;
  $("btOut").hidden = false;
  const kinds = Object.keys(res.pooled);
  const synthetic = kinds.includes("synthetic");
  $("btInfo").textContent = `${res.races.length} race(s) backtested, ${res.skipped.length} skipped · `
    + kinds.map(kindLabel).join(" and ") + ` · ${res.options.n_scenarios} scenarios, ${res.options.spec.n_lineups} lineups`;
  const box = $("btPooled");
  box.replaceChildren();
  for (const k of kinds) {
    box.append(h.el("h4", { text: `Pooled over ${res.pooled[k].races} race(s) — ${kindLabel(k)}` }),
      h.el("div", { class: "scroll" }, pooledTable(k, res.pooled[k], res.options.methods)));
  }
  const cap = (t) => t.charAt(0).toUpperCase() + t.slice(1);
  box.append(h.el("p", { class: "muted", text: `${cap(res.se_notes.pooled)}. ${cap(res.se_notes.race)}.` }));
  const methods = res.options.methods;
  const labels = res.races.map((r) => `${r.season}-${String(r.race_num).padStart(2, "0")}${r.salaries === "synthetic" ? " SYNTHETIC" : ""}`);
  ch.percentileChart("btChart", labels, methods.map((m) => ({
    label: LABELS[m] || m, data: res.races.map((r) => (r.methods[m] ? r.methods[m].percentile : null)) })),
    `Best lineup's percentile among every legal lineup${synthetic ? " — SYNTHETIC salaries" : ""}`);
  $("btCaption").textContent = "Best lineup's percentile among every salary-feasible lineup on the real result, per race and method"
    + (synthetic ? "; races marked SYNTHETIC use synthetic salaries (DraftKings' salary curve on the pre-race rating rank), not real prices." : ".");
  raceTable(res);
  $("btSkipped").replaceChildren(...res.skipped.map((s) =>
    h.el("li", { text: `${s.season}-${String(s.race_num).padStart(2, "0")} (${s.salaries}): ${s.reason}` })));
  $("btSkippedBox").hidden = !res.skipped.length;
}

/** Wire the form; `helpers`: el, setStatus, showError, fieldError, clearErrors, runJob, writeHash;
 *  `state`: the page's state (its uploaded history, if any, is the default). */
export function initBacktest(helpers, state) {
  h = helpers;
  $("btForm").addEventListener("submit", (ev) => start(ev, state));
  window.tailraceBacktest = bt;  // for the browser tests
}
