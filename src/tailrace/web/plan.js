// The contest-day view: the day's contests (one a line), a bankroll and a stake cap -> a POST /plan
// job on the uploaded slate; shows the contests table with the allocation and per-contest figures,
// the day's row, the decision's steps, and the day's profit distribution. The job id lives in the
// URL hash (pl=...).
//
// The page's shared helpers (messages, jobs, hash) come from app.js through initPlan, so this
// module imports only the API client and the charts.

import { api } from "./api.js";
import * as ch from "./charts.js";

const $ = (id) => document.getElementById(id);
const fmt = ch.fmt;
const KINDS = ["gpp", "double-up", "50-50"];

let h = null;  // helpers from app.js
export const pl = { result: null, jobId: null };

/** The contests text, one contest a line: "name, kind, entry fee, field size, max entries";
 *  returns {contests, problems} with each problem naming its line and the fix. */
export function parseContests(text) {
  const contests = [], problems = [];
  text.split("\n").forEach((raw, k) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const parts = line.split(",").map((s) => s.trim());
    const at = `line ${k + 1}`;
    if (parts.length !== 5) {
      problems.push(`${at}: ${parts.length} values — fix: write name, kind, entry fee, field size, max entries`);
      return;
    }
    const [name, kind, fee, size, max] = parts;
    const c = { name, kind: kind.toLowerCase(), entry_fee: Number(fee), field_size: Number(size), max_entries: Number(max) };
    if (!name) problems.push(`${at}: no name — fix: give the contest's name first`);
    if (!KINDS.includes(c.kind)) problems.push(`${at}: kind '${kind}' — fix: gpp, double-up or 50-50`);
    if (!(c.entry_fee > 0)) problems.push(`${at}: entry fee '${fee}' — fix: a positive number of dollars`);
    if (!Number.isInteger(c.field_size) || c.field_size < 2) problems.push(`${at}: field size '${size}' — fix: a whole number >= 2`);
    if (!Number.isInteger(c.max_entries) || c.max_entries < 1 || c.max_entries > 150) {
      problems.push(`${at}: max entries '${max}' — fix: a whole number 1–150`);
    } else if (c.max_entries >= c.field_size) problems.push(`${at}: ${max} entries do not fit a ${size}-entry contest — fix: lower max entries`);
    contests.push(c);
  });
  if (!contests.length && !problems.length) problems.push("no contests — fix: one a line, e.g. Main GPP, gpp, 5, 20000, 20");
  return { contests, problems };
}

/** Which error box a problem of a plan request belongs to. */
function plField(d) {
  const where = `${d.field || ""} ${(d.loc || []).join(".")}`.trim();
  if (/contests/.test(where)) return "err-plContests";
  for (const f of ["bankroll", "max_stake", "kelly", "max_exposure", "max_overlap_day", "n_scenarios", "seed"]) {
    if (new RegExp(`(^|[ .])${f}$`).test(where)) return `err-pl-${f}`;
  }
  if (/slate/.test(where)) return "err-plContests";
  return null;
}

async function start(ev, state) {
  ev.preventDefault();
  h.clearErrors("secPlan");
  if (!state.slate) { h.fieldError("err-plContests", "upload a slate first (step 1): the plan runs on it"); return; }
  const { contests, problems } = parseContests($("plContests").value);
  if (problems.length) {
    h.fieldError("err-plContests", problems.join("; "));
    h.setStatus("the day's contests have problems", true);
    return;
  }
  const body = { slate_id: state.slate.slate_id, contests, bankroll: Number($("plBankroll").value),
                 max_stake: Number($("plStake").value), kelly: Number($("plKelly").value),
                 n_scenarios: Number($("plScen").value), seed: Number($("plSeed").value) };
  if ($("plMaxExp").value.trim()) body.max_exposure = Number($("plMaxExp").value);
  if ($("plOverlap").value.trim()) body.max_overlap_day = Number($("plOverlap").value);
  $("plRun").disabled = true;
  try {
    h.setStatus("planning the day…");
    const r = await api("plan", { method: "POST", json: body });
    pl.jobId = r.job_id;
    h.writeHash({ pl: r.job_id });
    $("plOut").hidden = true;
    await follow(r.job_id);
  } catch (e) {
    h.showError(e, plField, "plProblems");
  } finally {
    $("plRun").disabled = false;
  }
}

/** Follow plan job `jobId` to its end and show the result. */
export async function follow(jobId) {
  pl.jobId = jobId;
  pl.result = await h.runJob("pl", jobId);
  render();
  h.setStatus(`day planned: ${pl.result.entries} entries, stake $${fmt(pl.result.stake, 2)}`);
}

function cell(col, v, text) {
  const td = document.createElement("td");
  td.dataset.col = col;
  if (v != null) td.dataset.v = String(v);
  td.textContent = text;
  return td;
}

const pct = (v, d = 1) => (v == null || !isFinite(v) ? "–" : `${fmt(100 * v, d)} %`);
const money = (v) => (v == null || !isFinite(v) ? "–" : `$${fmt(v, 2)}`);

function figureCells(f) {
  if (!f) return ["expected_profit", "roi", "p_loss", "profit_cvar", "p_top1"].map((c) => cell(c, null, "–"));
  return [cell("expected_profit", f.expected_profit, `${money(f.expected_profit)} ± ${fmt(f.expected_profit_se, 2)}`),
    cell("roi", f.roi, f.roi == null ? "–" : `${pct(f.roi)} ± ${fmt(100 * f.roi_se, 1)}`),
    cell("p_loss", f.p_loss, pct(f.p_loss)), cell("profit_cvar", f.profit_cvar, money(f.profit_cvar)),
    cell("p_top1", f.p_top1, pct(f.p_top1, 2))];
}

function contestsTable(res) {
  const t = $("plTable");
  const cols = ["contest", "kind", "fee", "field", "max", "entries", "stake", "exp. profit ± SE", "ROI ± SE", "P(loss)",
                `lower CVaR ${res.day.cvar_alpha}`, "top 1 %"];
  t.replaceChildren(h.el("thead", {}, h.el("tr", {}, ...cols.map((c) => h.el("th", { scope: "col", text: c })))));
  const tb = document.createElement("tbody");
  for (const c of res.contests) {
    const tr = document.createElement("tr");
    tr.dataset.contest = c.name;
    tr.append(cell("name", c.name, c.name), cell("kind", c.kind, c.kind), cell("entry_fee", c.entry_fee, money(c.entry_fee)),
      cell("field_size", c.field_size, c.field_size.toLocaleString("en-US")), cell("limit", c.limit, String(c.limit)),
      cell("entries", c.entries, String(c.entries)), cell("stake", c.stake, money(c.stake)), ...figureCells(c.figures));
    tb.append(tr);
  }
  const day = document.createElement("tr");
  day.dataset.contest = "day";
  day.className = "total";
  day.append(cell("name", "day", "the day"), cell("kind", null, ""), cell("entry_fee", null, ""), cell("field_size", null, ""),
    cell("limit", null, ""), cell("entries", res.entries, String(res.entries)), cell("stake", res.stake, money(res.stake)),
    ...figureCells(res.day));
  tb.append(day);
  t.append(tb);
}

/** Draw the result: the contests table, the allocation chart, the steps, the day's profit chart. */
export function render() {
  const res = pl.result;
  if (!res) return;
  $("plOut").hidden = false;
  const a = res.allocation, sc = res.scenarios;
  $("plInfo").textContent = `bankroll $${fmt(res.bankroll, 2)} · stake cap $${fmt(res.stake_cap, 2)} `
    + `(${fmt(100 * res.max_stake, 0)} %) · Kelly ${res.kelly} · lineups chosen on seed ${sc.build.seed}, entries `
    + `decided on seed ${sc.allocate.seed}, figures on seed ${sc.report.seed} (${sc.report.n.toLocaleString("en-US")} `
    + `fresh scenarios and fields)`;
  contestsTable(res);
  $("plGrowth").textContent = `Day log-growth of the bankroll ${fmt(res.day.log_growth, 5)} ± ${fmt(res.day.log_growth_se, 5)} `
    + `(fresh scenarios); ${fmt(a.exact.log_growth, 5)} on the allocation scenarios. Search: ${a.method}, `
    + `${a.n_evaluated.toLocaleString("en-US")} allocations.`;
  ch.allocationChart("plAllocChart", res.contests.map((c) => c.name), res.contests.map((c) => c.entries),
                     res.contests.map((c) => c.limit));
  const hist = res.day.profit_histogram;
  ch.profitChart("plProfitChart", { edges: hist.edges, counts: hist.counts, mean: res.day.expected_profit,
                                     lower_cvar: res.day.profit_cvar, alpha: res.day.cvar_alpha });
  $("plSteps").replaceChildren(...a.steps.map((s) => h.el("li", {
    text: `+1 ${s.contest} → ${s.entries_after} entries; stake $${fmt(s.stake_after, 2)}; growth ${fmt(s.growth_after, 5)} (gain ${fmt(s.gain, 5)})` })));
  $("plStepsNone").hidden = a.steps.length > 0;
  $("plWarnings").replaceChildren(...(res.warnings || []).map((w) => h.el("li", { text: w })));
}

/** Wire the form; `helpers`: el, setStatus, showError, fieldError, clearErrors, runJob, writeHash;
 *  `state`: the page's state (its uploaded slate is the one planned on). */
export function initPlan(helpers, state) {
  h = helpers;
  $("plForm").addEventListener("submit", (ev) => start(ev, state));
  window.tailracePlan = pl;  // for the browser tests
}
