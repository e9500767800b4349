// tailrace web page: slate -> simulate -> optimise -> contest -> download, over the public REST API.
//
// Buildless: plain ES modules (this file, api.js, charts.js) and the vendored Chart.js UMD file.
// The page keeps no state of its own worth losing: the ids of the slate, history and the three
// jobs live in the URL hash (#s=..&h=..&sim=..&opt=..&con=..), and a reload fetches them back
// from the API's store (GET /slates/{id}, /histories/{id}, /jobs/{id}, /portfolios/{id}).

import { api, ApiError, cancelJob, followJob, JobCancelled, submitJob } from "./api.js";
import * as ch from "./charts.js";
import { follow as followBacktest, initBacktest } from "./backtest.js";
import { follow as followPlan, initPlan } from "./plan.js";

const $ = (id) => document.getElementById(id);
const fmt = ch.fmt;

// ------------------------------------------------------------------ state

const state = {
  slate: null,        // SlateResponse
  history: null,      // HistoryResponse, when a history was uploaded
  ownership: null,    // {driver id: percent} from an uploaded ownership CSV
  sim: null,          // SimulateResponse
  opt: null,          // OptimizeResponse
  portfolio: null,    // GET /portfolios/{id} (spec, contest, ...)
  contest: null,      // ContestResponse
  chosen: 0,          // index of the lineup shown in detail
  running: {},        // section -> job id while a job runs
};

function readHash() {
  const out = {};
  for (const part of location.hash.replace(/^#/, "").split("&")) {
    const [k, v] = part.split("=");
    if (k && v) out[k] = decodeURIComponent(v);
  }
  return out;
}

function writeHash(changes) {
  const h = { ...readHash(), ...changes };
  const s = Object.entries(h).filter(([, v]) => v != null && v !== "")
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  history.replaceState(null, "", s ? `#${s}` : location.pathname);
  if (state.ownership) localStorage.setItem(`tailrace.own.${h.s}`, JSON.stringify(state.ownership));
}

// ------------------------------------------------------------------ messages

function setStatus(text, error = false) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("error", error);
}

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const kid of kids) if (kid != null) e.append(kid);
  return e;
}

/** A problem of an error body as one sentence: where (file, row, field), what, and the fix. */
function problemText(d) {
  const where = [];
  if (d.file) where.push(d.file);
  if (d.row != null) where.push(`row ${d.row}`);
  if (d.field) where.push(d.field);
  if (!where.length && d.loc) where.push(d.loc.filter((x) => x !== "body").join("."));
  const w = where.filter(Boolean).join(", ");
  return (w ? `${w}: ` : "") + d.msg + (d.fix ? ` — fix: ${d.fix}` : "");
}

function clearErrors(section) {
  for (const e of $(section).querySelectorAll(".ferr")) e.textContent = "";
  for (const e of $(section).querySelectorAll(".bad")) e.classList.remove("bad");
  for (const e of $(section).querySelectorAll(".problems")) e.replaceChildren();
}

/** Put a field's message under it (and mark its input). */
function fieldError(errId, text) {
  const box = $(errId);
  if (!box) return false;
  box.textContent = box.textContent ? `${box.textContent}\n${text}` : text;
  const input = box.parentElement && box.parentElement.querySelector("input, select, textarea");
  if (input) input.classList.add("bad");
  return true;
}

/**
 * Show an API error: each detail next to the field `where(detail)` names (an id of a .ferr
 * element), the rest in the section's problem box, as the API states them.
 */
function showError(err, where, boxId) {
  const box = $(boxId);
  if (!(err instanceof ApiError)) {
    if (err instanceof JobCancelled) { setStatus("cancelled"); return; }
    console.error(err);
    box.replaceChildren(el("p", { text: `Unexpected error in the page: ${err.message}` }));
    setStatus(err.message, true);
    return;
  }
  const body = err.body || {};
  const rest = [];
  for (const d of body.detail || []) {
    const id = where(d);
    if (!(id && fieldError(id, problemText(d)))) rest.push(problemText(d));
  }
  for (const c of body.conflicts || []) rest.push(c);
  const head = el("p", { text: body.message || err.message });
  const list = rest.length ? el("ul", {}, ...rest.map((t) => el("li", { text: t }))) : null;
  const more = body.n_problems && body.detail && body.n_problems > body.detail.length
    ? el("p", { text: `(${body.n_problems - body.detail.length} more problems not shown)` }) : null;
  box.replaceChildren(head, list, more);
  setStatus(`error: ${body.message || err.message}`, true);
}

/** Contest mode's own ROI estimate for its portfolio, its interval and what it assumes. */
function estimateText(c) {
  let t = `estimated ROI ${fmt(100 * c.roi_estimate, 1)} %`;
  if (c.roi_interval) t += ` (interval ${fmt(100 * c.roi_interval[0], 1)} % to ${fmt(100 * c.roi_interval[1], 1)} %)`;
  if (c.estimate_note) t += `: ${c.estimate_note}`;
  return t;
}

/** The contest's field beside its figures: the ownership against the cap, the sampled field's duplicates,
 *  the file against the field when the report found problems, and the ROI against each field model. */
function fieldFacts(id, c) {
  const box = $(id);
  box.replaceChildren();
  if (!c) return;
  const rep = c.ownership_report;
  const kids = [];
  if (rep) {
    let line = `Ownership: implied average lineup $${Math.round(rep.implied_avg_salary).toLocaleString("en-US")} against the ` +
      `$${rep.salary_cap.toLocaleString("en-US")} cap — ${rep.realisable ? "realisable" : "not realisable"}.`;
    if (rep.n_entries) line += ` Field sampled (${rep.field_model || c.field_model}): average $${Math.round(rep.field_avg_salary).toLocaleString("en-US")}, ` +
      `${rep.duplicated_entries.toLocaleString("en-US")} of ${rep.n_entries.toLocaleString("en-US")} entries in duplicated lineups, at most ${rep.max_dup} on one.`;
    kids.push(el("p", { class: rep.realisable ? null : "warn", "data-realisable": String(rep.realisable), text: line }));
    if (rep.problems.length && rep.n_entries) {
      const rows = rep.drivers.slice(0, 10).concat(rep.drivers.slice(10).filter((d) => d.field_pct != null && Math.abs(d.field_pct - d.file_pct) > 5));
      kids.push(el("table", { "aria-label": "Ownership: the file against the field tailrace sampled", id: `${id}Table` },
        el("thead", {}, el("tr", {}, ...["Driver", "file %", "field %", "field − file"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...rows.map((d) => el("tr", {}, el("td", { text: d.name || String(d.index) }),
          el("td", { text: fmt(d.file_pct, 1) }), el("td", { text: fmt(d.field_pct, 1) }),
          el("td", { class: Math.abs(d.field_pct - d.file_pct) > 5 ? "warn" : null, text: fmt(d.field_pct - d.file_pct, 1) }))))));
    }
  }
  if (c.field_models && c.field_models.length > 1) {
    kids.push(el("p", { text: "ROI against each field model (the figures above are against the first):" }),
      el("ul", { id: `${id}Models` }, ...c.field_models.map((m) => el("li", { text: `${fmt(100 * m.roi, 1)} % ± ${fmt(100 * m.roi_se, 1)} — ${m.model}` }))));
  }
  box.append(...kids);
}

function warningsBox(id, warnings) {
  const box = $(id);
  box.replaceChildren();
  if (warnings && warnings.length) {
    box.append(el("strong", { text: `${warnings.length} warning${warnings.length > 1 ? "s" : ""}` }),
      el("ul", {}, ...warnings.map((w) => el("li", { text: w }))));
  }
}

// ------------------------------------------------------------------ jobs with a progress bar

/** Follow job `jobId` in the section's progress row ("sim", "opt", "con"); resolves with the result. */
async function runJob(prefix, jobId) {
  state.running[prefix] = jobId;
  const row = $(`${prefix}Job`), bar = $(`${prefix}Prog`), msg = $(`${prefix}Msg`);
  row.hidden = false; bar.value = 0; msg.textContent = "queued";
  try {
    return await followJob(jobId, (f, m) => { bar.value = f; msg.textContent = `${Math.round(100 * f)} % · ${m}`; });
  } finally {
    delete state.running[prefix];
    row.hidden = true;
  }
}

for (const prefix of ["sim", "opt", "con", "bt", "pl"]) {
  $(`${prefix}Cancel`).addEventListener("click", async () => {
    const id = state.running[prefix];
    if (!id) return;
    $(`${prefix}Msg`).textContent = "cancelling…";
    try { await cancelJob(id); setStatus("job cancelled"); } catch (e) { setStatus(e.message, true); }
  });
}

// ------------------------------------------------------------------ 1. slate

const uploadName = (name) => (name || "").split(/[\\/]/).pop().replace(/[^A-Za-z0-9._ -]/g, "_").slice(0, 100).trim();

/** Which field a slate-upload problem belongs to: by the file it names, or the form field. */
function slateField(d) {
  const sal = $("salaries").files[0], proj = $("projections").files[0];
  if (d.file && sal && d.file === uploadName(sal.name)) return "err-salaries";
  if (d.file && proj && d.file === uploadName(proj.name)) return "err-projections";
  const loc = (d.loc || []).join(".");
  for (const f of ["salaries", "projections", "site", "track"]) if (loc.includes(f) || d.field === f) return `err-${f}`;
  if (d.file && /sal/i.test(d.file)) return "err-salaries";
  if (d.file && /proj/i.test(d.file)) return "err-projections";
  return null;
}

/** Parse a small CSV (quoted cells allowed) into rows of cells. */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = "", q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
    } else if (c === '"') q = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows.filter((r) => r.some((x) => x.trim()));
}

/** An ownership CSV (columns id or name, and ownership in percent) as {driver id: percent}. */
function ownershipFromCsv(text, fileName, slate) {
  const rows = parseCsv(text.replace(/^\uFEFF/, ""));
  if (!rows.length) throw new Error(`${fileName}: the file is empty — fix: columns id or name, and ownership`);
  const head = rows[0].map((h) => h.trim().toLowerCase());
  const oc = head.findIndex((h) => ["ownership", "own", "own%", "projected ownership"].includes(h));
  const ic = head.findIndex((h) => ["id", "driver_id"].includes(h));
  const nc = head.findIndex((h) => ["name", "driver"].includes(h));
  if (oc < 0 || (ic < 0 && nc < 0)) {
    throw new Error(`${fileName}, row 1: the header lacks the ownership columns — fix: use columns 'id' or 'name', and 'ownership' (percent)`);
  }
  const byId = new Map(slate.drivers.map((d) => [d.id, d.id]));
  const byName = new Map(slate.drivers.map((d) => [d.name.trim().toLowerCase(), d.id]));
  const out = {}, problems = [];
  rows.slice(1).forEach((r, k) => {
    const key = ic >= 0 && (r[ic] || "").trim() ? (r[ic] || "").trim() : (r[nc] || "").trim();
    const id = byId.get(key) || byName.get(key.toLowerCase());
    const v = Number((r[oc] || "").replace("%", "").trim());
    if (!id) problems.push(`${fileName}, row ${k + 2}: driver '${key}' is not on the slate — fix: use the slate's names or site IDs`);
    else if (!isFinite(v) || v < 0 || v > 100) problems.push(`${fileName}, row ${k + 2}, ownership: '${r[oc]}' is not a percent 0–100 — fix: e.g. 12.5`);
    else out[id] = v;
  });
  if (problems.length) throw new Error(problems.join("\n"));
  return out;
}

async function uploadSlate(ev) {
  ev.preventDefault();
  clearErrors("secSlate");
  const sal = $("salaries").files[0];
  if (!sal) { fieldError("err-salaries", "choose the site's salary export (CSV) first"); return; }
  const fd = new FormData();
  fd.append("site", $("site").value);
  fd.append("salaries", sal, sal.name);
  const proj = $("projections").files[0];
  if (proj) fd.append("projections", proj, proj.name);
  if ($("track").value.trim()) fd.append("track", $("track").value.trim());
  setStatus("uploading the slate…");
  $("upload").disabled = true;
  try {
    const slate = await api("slates", { method: "POST", form: fd });
    let hist = null, own = null;
    const hf = $("history").files[0];
    if (hf) {
      const hd = new FormData();
      hd.append("history", hf, hf.name);
      try { hist = await api("histories", { method: "POST", form: hd }); } catch (e) {
        showError(e, () => "err-history", "slateProblems"); return;
      }
    }
    const of = $("ownership").files[0];
    if (of) {
      try { own = ownershipFromCsv(await of.text(), uploadName(of.name), slate); } catch (e) {
        fieldError("err-ownership", e.message); setStatus("the ownership file has problems", true); return;
      }
    }
    resetFrom("sim");
    state.slate = slate; state.history = hist; state.ownership = own;
    writeHash({ s: slate.slate_id, h: hist ? hist.history_id : null });
    renderSlate();
    setStatus(`slate stored: ${slate.n_drivers} drivers` + (hist ? `; history: ${hist.races} races` : ""));
  } catch (e) {
    showError(e, slateField, "slateProblems");
  } finally {
    $("upload").disabled = false;
  }
}

function ownershipOf(d) {
  if (state.ownership) return state.ownership[d.id] ?? 0;
  return d.ownership;
}

function renderSlate() {
  const s = state.slate;
  const hist = state.history;
  $("slateInfo").textContent = `${s.n_drivers} drivers · site ${s.site.toUpperCase()} · track ${s.track || "(none given)"} · ` +
    `slate ${s.slate_id}` + (hist ? ` · history ${hist.name}: ${hist.races} races, ${hist.drivers} drivers` : "") +
    (state.ownership ? " · ownership from your file" : "");
  const t = $("slateTable");
  const head = el("tr", {}, ...["Driver", "Salary", "Start", "Projection", "Own %", "Lock", "Exclude", "Min exp", "Max exp"]
    .map((h) => el("th", { scope: "col", text: h })));
  const rows = s.drivers.map((d) => el("tr", { "data-id": d.id },
    el("td", { text: d.name }),
    el("td", { text: d.salary.toLocaleString("en-US") }),
    el("td", { text: d.start ?? "–" }),
    el("td", { text: fmt(d.projection, 2) }),
    el("td", { text: fmt(ownershipOf(d), 1) }),
    el("td", {}, el("input", { type: "checkbox", class: "lock", "data-id": d.id, "aria-label": `Lock ${d.name}` })),
    el("td", {}, el("input", { type: "checkbox", class: "excl", "data-id": d.id, "aria-label": `Exclude ${d.name}` })),
    el("td", {}, el("input", { type: "number", class: "minexp", "data-id": d.id, min: 0, max: 1, step: 0.05,
                                 "aria-label": `Min exposure of ${d.name} (0 to 1)` })),
    el("td", {}, el("input", { type: "number", class: "maxexp", "data-id": d.id, min: 0, max: 1, step: 0.05,
                                 "aria-label": `Max exposure of ${d.name} (0 to 1)` }))));
  t.replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  for (const sec of ["secSim", "secOpt"]) $(sec).hidden = false;
  loadSpecList();
}

// ------------------------------------------------------------------ 2. simulate

function intOf(id) { const v = $(id).value.trim(); return v === "" ? null : Number(v); }

function simRequest() {
  const body = { slate_id: state.slate.slate_id, n_scenarios: intOf("nScen"), seed: intOf("seed") };
  if (state.history) {
    body.history_id = state.history.history_id;
    body.history_weight = Number($("historyWeight").value);
  }
  return body;
}

/** Map a request-validation error to a field of the simulate form. */
function simField(d) {
  const f = d.field || (d.loc || []).filter((x) => x !== "body").join(".");
  return $(`err-${f}`) ? `err-${f}` : null;
}

async function simulate(ev) {
  ev.preventDefault();
  clearErrors("secSim");
  resetFrom("sim");
  try {
    $("simulate").disabled = true;
    setStatus("simulating…");
    const jobId = await submitJob("simulate", simRequest());
    writeHash({ sim: jobId });
    state.sim = await runJob("sim", jobId);
    renderSim();
    setStatus(`simulated ${state.sim.kernel_stats.count.toLocaleString("en-US")} races`);
  } catch (e) {
    writeHash({ sim: null });
    showError(e, simField, "slateProblems");
  } finally {
    $("simulate").disabled = false;
  }
}

/** Drivers with their figures and value per $1k, sorted by the chosen key (descending). */
function sortedDrivers() {
  const sal = new Map(state.slate.drivers.map((d) => [d.id, d.salary]));
  const key = $("driverSort").value;
  const rows = state.sim.kernel_stats.drivers.map((d) => ({ ...d, salary: sal.get(d.id), value: (1000 * d.mean) / sal.get(d.id) }));
  return rows.sort((a, b) => b[key] - a[key]);
}

function renderSim() {
  const ks = state.sim.kernel_stats;
  $("simOut").hidden = false;
  $("simInfo").textContent = `${ks.count.toLocaleString("en-US")} races, seed ${ks.seed}, track ${ks.track || "–"} (${ks.track_type || "–"}), ` +
    `strengths from ${ks.strength_source || "–"}${ks.cache_hit ? ", from the cache" : ""}; invariant checks ` +
    `${ks.invariant_checks_passed ? "passed" : "did not pass"} · scenario set ${ks.scenario_set_id}`;
  warningsBox("simWarnings", state.sim.warnings);
  $("nScen").value = ks.count; $("seed").value = ks.seed;
  drawDrivers();
}

function drawDrivers() {
  const rows = sortedDrivers();
  ch.driverChart("driverChart", rows);
  const cols = [["salary", 0], ["mean", 2], ["sd", 2], ["p5", 2], ["p50", 2], ["p95", 2], ["p99", 2], ["value", 3]];
  const head = el("tr", {}, el("th", { scope: "col", text: "Driver" }),
    ...cols.map(([c]) => el("th", { scope: "col", text: c === "value" ? "pts / $1k" : c })));
  const body = rows.map((d) => el("tr", { "data-id": d.id }, el("td", { text: d.name }),
    ...cols.map(([c, k]) => el("td", { "data-col": c, "data-v": String(d[c]), text: c === "salary" ? d[c].toLocaleString("en-US") : fmt(d[c], k) }))));
  $("driverTable").replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
}

// ------------------------------------------------------------------ 3. optimise

/** Groups textarea -> GroupSpec list. A line: "name: driver, driver <= 2" (or ">= 1", or both). */
function parseGroups(text) {
  const out = [];
  text.split("\n").forEach((line, k) => {
    if (!line.trim()) return;
    const m = line.match(/^\s*(?:([^:]+):)?\s*(.*?)\s*((?:[<>]=\s*\d+\s*)+)$/);
    if (!m || !m[2].trim()) throw new Error(`line ${k + 1}: write it as "name: driver, driver <= 2" (or >= 1)`);
    const g = { name: (m[1] || "").trim(), drivers: m[2].split(",").map((x) => x.trim()).filter(Boolean) };
    for (const [, op, n] of m[3].matchAll(/([<>])=\s*(\d+)/g)) g[op === "<" ? "at_most" : "at_least"] = Number(n);
    out.push(g);
  });
  return out;
}

function groupsText(groups) {
  return (groups || []).map((g) => `${g.name ? `${g.name}: ` : ""}${g.drivers.join(", ")}` +
    (g.at_least != null ? ` >= ${g.at_least}` : "") + (g.at_most != null ? ` <= ${g.at_most}` : "")).join("\n");
}

/** The ConstraintSpec the form describes (throws Error with a field id for a bad groups line). */
function buildSpec() {
  const kind = $("objective").value;
  const objective = { kind };
  if (kind === "upper-cvar") objective.beta = Number($("beta").value);
  if (kind === "lower-cvar") objective.alpha = Number($("alpha").value);
  if (kind === "target-prob") objective.target = Number($("target").value);
  if (kind === "blend") objective.blend = $("blend").value;
  const spec = { objective, n_lineups: intOf("nLineups"), mode: $("mode").value, locks: [], excludes: [],
                 min_exposure: {}, max_exposure: {} };
  const num = (id) => ($(id).value.trim() === "" ? null : Number($(id).value));
  if (num("maxExp") != null) spec.global_max_exposure = num("maxExp");
  if (num("maxOverlap") != null) spec.max_overlap = num("maxOverlap");
  if (num("minSalary") != null) spec.min_salary = num("minSalary");
  for (const c of document.querySelectorAll("#slateTable input.lock:checked")) spec.locks.push(c.dataset.id);
  for (const c of document.querySelectorAll("#slateTable input.excl:checked")) spec.excludes.push(c.dataset.id);
  for (const c of document.querySelectorAll("#slateTable input.minexp")) if (c.value !== "") spec.min_exposure[c.dataset.id] = Number(c.value);
  for (const c of document.querySelectorAll("#slateTable input.maxexp")) if (c.value !== "") spec.max_exposure[c.dataset.id] = Number(c.value);
  try { spec.groups = parseGroups($("groups").value); } catch (e) { e.fieldId = "err-groups"; throw e; }
  return spec;
}

function contestSettings() {
  const c = { kind: $("cKind").value, entry_fee: Number($("cFee").value), field_size: intOf("cField"),
              rake: Number($("cRake").value) };
  const sharp = $("cSharp").value.trim().toLowerCase();
  c.field_sharpness = sharp === "" || sharp === "auto" ? "auto" : (Number.isNaN(Number(sharp)) ? sharp : Number(sharp));
  const oe = $("cOwnErr").value.trim();
  if (oe !== "") c.ownership_error = Number(oe);
  if (state.ownership) c.ownership = state.ownership;
  const md = $("cMaxDup").value.trim();
  if (md !== "") c.max_duplicates = Number(md);
  return c;
}

/** Fill the optimise form from a stored spec (and contest settings). */
function fillForm(spec, contest) {
  const o = spec.objective || {};
  $("objective").value = o.kind || "upper-cvar";
  if (o.beta != null) $("beta").value = o.beta;
  if (o.alpha != null) $("alpha").value = o.alpha;
  if (o.target != null) $("target").value = o.target;
  if (o.blend && o.blend.length) $("blend").value = o.blend.map((t) => `${t.weight}:${t.kind}:${t.level ?? ""}`).join(",");
  $("nLineups").value = spec.n_lineups ?? 1;
  $("mode").value = spec.mode || "independent";
  $("maxExp").value = spec.global_max_exposure ?? "";
  $("maxOverlap").value = spec.max_overlap ?? "";
  $("minSalary").value = spec.min_salary ?? "";
  $("groups").value = groupsText(spec.groups);
  // drivers may be named by site ID or by name
  const ids = new Map();
  for (const d of state.slate.drivers) { ids.set(d.id, d.id); ids.set(d.name.toLowerCase(), d.id); }
  const idOf = (ref) => ids.get(ref) || ids.get(String(ref).toLowerCase());
  const unknown = [];
  const setAll = (cls, fn) => { for (const c of document.querySelectorAll(`#slateTable input.${cls}`)) fn(c); };
  setAll("lock", (c) => { c.checked = (spec.locks || []).some((r) => idOf(r) === c.dataset.id); });
  setAll("excl", (c) => { c.checked = (spec.excludes || []).some((r) => idOf(r) === c.dataset.id); });
  for (const [cls, key] of [["minexp", "min_exposure"], ["maxexp", "max_exposure"]]) {
    const m = {};
    for (const [ref, v] of Object.entries(spec[key] || {})) { const id = idOf(ref); if (id) m[id] = v; else unknown.push(ref); }
    setAll(cls, (c) => { c.value = m[c.dataset.id] ?? ""; });
  }
  for (const r of [...(spec.locks || []), ...(spec.excludes || [])]) if (!idOf(r)) unknown.push(r);
  if (contest) {
    $("cKind").value = contest.kind || "tournament";
    $("cFee").value = contest.entry_fee ?? 5;
    $("cField").value = contest.field_size ?? 20000;
    $("cRake").value = contest.rake ?? 0.13;
    $("cSharp").value = contest.field_sharpness ?? "auto";
    $("cOwnErr").value = contest.ownership_error ?? 0.3;
    $("cMaxDup").value = contest.max_duplicates ?? "";
  }
  showObjectiveFields();
  return unknown;
}

function showObjectiveFields() {
  const kind = $("objective").value;
  for (const f of document.querySelectorAll("#optForm [data-for]")) f.hidden = f.dataset.for !== kind;
}

/** Which field an /optimize problem belongs to (spec paths like objective.beta, contest.field_size, locks[0]). */
function optField(d) {
  let f = d.field || (d.loc || []).filter((x) => x !== "body").join(".");
  f = String(f).replace(/^spec\./, "");
  if (/^contest\.ownership/.test(f)) return "err-ownership";
  if (/^(locks|excludes|min_exposure|max_exposure)/.test(f)) return "err-drivers";
  if (/^groups/.test(f)) return "err-groups";
  if (/^objective\.blend/.test(f)) return "err-objective.blend";
  for (const cand of [f, f.split(".").slice(0, 2).join("."), f.split(".")[0]]) if ($(`err-${cand}`)) return `err-${cand}`;
  return null;
}

async function optimize(ev) {
  ev.preventDefault();
  clearErrors("secOpt");
  let spec;
  try { spec = buildSpec(); } catch (e) { fieldError(e.fieldId || "err-groups", e.message); return; }
  const body = { slate_id: state.slate.slate_id, spec, n_scenarios: intOf("nScen"), seed: intOf("seed"),
                 include_explain: $("explain").checked, include_tail_validation: $("validate").checked,
                 include_calibration: $("calibrate").checked, include_distributions: true };
  if (state.history) { body.history_id = state.history.history_id; body.history_weight = Number($("historyWeight").value); }
  if (spec.mode === "contest") body.contest = contestSettings();
  resetFrom("opt");
  try {
    $("optimize").disabled = true;
    setStatus("optimising…");
    const jobId = await submitJob("optimize", body);
    writeHash({ opt: jobId });
    await showOptimize(await runJob("opt", jobId));
    setStatus(`portfolio of ${state.opt.lineups.length} lineup(s) built`);
  } catch (e) {
    writeHash({ opt: null });
    showError(e, optField, "optProblems");
  } finally {
    $("optimize").disabled = false;
  }
}

async function showOptimize(res) {
  state.opt = res;
  state.portfolio = await api(`portfolios/${encodeURIComponent(res.portfolio_id)}`);
  renderOptimize();
  $("secContest").hidden = false;
}

function renderOptimize() {
  const r = state.opt;
  $("optOut").hidden = false;
  const beta = r.tail_metrics.tail_beta;
  const best = r.tail_metrics.best_lineup || {};
  const info = [`${r.lineups.length} lineup(s) · objective ${r.objective.name} · mode ${r.mode}`,
    `portfolio value ${fmt(r.tail_metrics.portfolio_value, 2)}`,
    `best lineup per race: mean ${fmt(best.mean && best.mean.value, 1)}, upper CVaR ${beta} ${fmt(best.cvar_upper && best.cvar_upper[String(beta)] && best.cvar_upper[String(beta)].value, 1)}`];
  const tv = r.tail_validation;
  if (tv) info.push(`fresh set (seed ${tv.seed}, ${tv.n_scenarios} races): best-lineup upper CVaR ${fmt(tv.in_sample.best_lineup_upper_cvar, 1)} in-sample → ${fmt(tv.out_of_sample.best_lineup_upper_cvar, 1)} fresh`);
  if (r.contest) info.push(`contest: ${r.contest.field_size.toLocaleString("en-US")} entries at $${r.contest.entry_fee} (${r.contest.kind}), ${r.contest.n_candidates} candidates, ${r.contest.cap_place === 0 ? "each lineup ranked alone (the sim-ROI rule, chosen by cross-validation)" : `top prizes capped at place ${r.contest.cap_place}`}`);
  if (r.contest && r.contest.roi_estimate != null) info.push(estimateText(r.contest));
  $("optInfo").replaceChildren(...info.flatMap((t, i) => (i ? [el("br"), t] : [t])));
  warningsBox("optWarnings", r.warnings);
  fieldFacts("optField", r.contest);
  // DKEntries files are DraftKings'; a FanDuel portfolio has the upload CSV only
  for (const id of ["entriesFile", "dlEntries"]) $(id).hidden = r.site !== "dk";
  $("entriesFile").labels[0].hidden = r.site !== "dk";
  renderLineups();
  renderExposure();
  renderOptimal();
  chooseLineup(Math.min(state.chosen, r.lineups.length - 1));
  renderCalibration();
}

function renderLineups() {
  const r = state.opt, beta = String(r.tail_metrics.tail_beta);
  const contest = r.mode === "contest";
  const cols = ["#", "Drivers", "Salary", "Objective", "Bound", "Gap", "Mean", `CVaR↑${beta}`, "Opt %", "≤1 %"]
    .concat(contest ? ["Marginal EV $", "Dups", "Share $"] : []).concat([""]);
  const head = el("tr", {}, ...cols.map((c) => el("th", { scope: "col", class: c === "Drivers" ? "l" : null, text: c })));
  const rows = r.lineups.map((lu, k) => el("tr", { "data-index": k },
    el("td", { text: k + 1 }),
    el("td", { class: "l", text: lu.names.join(", ") }),
    el("td", { "data-col": "salary", text: lu.salary.toLocaleString("en-US") }),
    el("td", { "data-col": "objective", "data-v": String(lu.objective_value), text: fmt(lu.objective_value, 2) }),
    el("td", { "data-col": "bound", "data-v": String(lu.bound), text: fmt(lu.bound, 2) }),
    el("td", { "data-col": "gap", "data-v": String(lu.gap), text: lu.gap == null ? "–" : Number(lu.gap).toPrecision(2) }),
    el("td", { "data-col": "mean", text: fmt(lu.tail_metrics.mean.value, 1) }),
    el("td", { "data-col": "cvar", text: fmt(lu.tail_metrics.cvar_upper[beta] && lu.tail_metrics.cvar_upper[beta].value, 1) }),
    el("td", { "data-col": "optpct", "data-v": String(lu.optimal_pct), text: fmt(lu.optimal_pct, 2) }),
    el("td", { "data-col": "nearpct", "data-v": String(lu.near_optimal_pct), text: fmt(lu.near_optimal_pct, 2) }),
    contest ? el("td", { "data-col": "mev", text: fmt(lu.contest_marginal_ev, 2) }) : null,
    contest ? el("td", { "data-col": "dups", "data-v": String(lu.expected_duplicates),
                         title: lu.expected_duplicates_se != null ? `± ${fmt(lu.expected_duplicates_se, 2)} (standard error)` : null,
                         text: fmt(lu.expected_duplicates, 2) }) : null,
    contest ? el("td", { "data-col": "share", "data-v": String(lu.sharing_cost), text: fmt(lu.sharing_cost, 2) }) : null,
    el("td", {}, el("button", { type: "button", class: "small show", "aria-pressed": "false",
                                "aria-label": `Show lineup ${k + 1}`, text: "show", onclick: () => chooseLineup(k) }))));
  $("lineupTable").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

function renderExposure() {
  const r = state.opt;
  const exp = new Map(r.exposures.map((e) => [e.driver_id, e.share]));
  const hasOwn = state.ownership != null || state.slate.drivers.every((d) => d.ownership != null);
  const rows = state.slate.drivers.map((d) => ({ id: d.id, name: d.name, exposure: exp.get(d.id) || 0, ownership: hasOwn ? ownershipOf(d) : null }))
    .filter((x) => x.exposure > 0 || (x.ownership || 0) >= 1)
    .sort((a, b) => b.exposure - a.exposure || (b.ownership || 0) - (a.ownership || 0));
  ch.exposureChart("exposureChart", rows, hasOwn);
  $("exposureCaption").textContent = "Share of the portfolio's lineups holding each driver" +
    (hasOwn ? (state.ownership ? ", and ownership from your file." : ", and the projections' ownership.") : " (no ownership given).");
}

/** Optimal % against ownership, drivers most often optimal first (those with either figure >= 1 %). */
function renderOptimal() {
  const o = state.opt.optimal;
  if (!o) return;
  const rows = o.drivers.filter((d) => d.optimal_pct >= 1 || d.ownership_pct >= 1)
    .sort((a, b) => b.optimal_pct - a.optimal_pct || b.ownership_pct - a.ownership_pct);
  ch.optimalChart("optimalChart", rows);
  const src = { contest: "the contest's ownership", field: "the given field's ownership", slate: "the slate's ownership",
                model: "tailrace's modelled ownership" }[o.ownership_source] || o.ownership_source;
  $("optimalCaption").textContent = `Share of ${o.n_scenarios.toLocaleString("en-US")} races whose optimal lineup ` +
    `holds each driver, against ${src}; leverage = optimal % − ownership % (in the tooltip).`;
}

function chooseLineup(k) {
  const r = state.opt, lu = r.lineups[k];
  state.chosen = k;
  for (const tr of $("lineupTable").querySelectorAll("tbody tr")) {
    const on = Number(tr.dataset.index) === k;
    tr.classList.toggle("chosen", on);
    tr.querySelector("button.show").setAttribute("aria-pressed", String(on));
  }
  $("chosenNo").textContent = `${k + 1}: ${lu.names.join(", ")}`;
  const beta = String(r.tail_metrics.tail_beta);
  const tm = lu.tail_metrics, fr = lu.fresh_tail_metrics;
  const alpha = Object.keys(tm.cvar_lower || {})[0];
  const v = (m, part, lv) => (m && m[part] && m[part][lv] ? m[part][lv].value : null);
  const lines = [
    { value: v(tm, "var_upper", beta), label: `VaR↑${beta} in-sample`, color: ch.colours.blue, dash: [5, 3] },
    { value: v(tm, "cvar_upper", beta), label: `CVaR↑${beta} in-sample`, color: ch.colours.blue },
    { value: v(tm, "cvar_lower", alpha), label: `CVaR↓${alpha} in-sample`, color: ch.colours.green },
  ];
  if (fr) {
    lines.push({ value: v(fr, "var_upper", beta), label: `VaR↑${beta} fresh`, color: ch.colours.orange, dash: [5, 3] },
               { value: v(fr, "cvar_upper", beta), label: `CVaR↑${beta} fresh`, color: ch.colours.orange },
               { value: v(fr, "cvar_lower", alpha), label: `CVaR↓${alpha} fresh`, color: ch.colours.red });
  }
  if (lu.distribution) ch.lineupChart("lineupChart", lu.distribution, lines);
  const rows = [["mean", (m) => m && m.mean.value], [`VaR↑${beta}`, (m) => v(m, "var_upper", beta)],
    [`CVaR↑${beta}`, (m) => v(m, "cvar_upper", beta)], [`VaR↓${alpha}`, (m) => v(m, "var_lower", alpha)],
    [`CVaR↓${alpha}`, (m) => v(m, "cvar_lower", alpha)]];
  $("tailTable").replaceChildren(
    el("thead", {}, el("tr", {}, ...["Figure", "In-sample", "Fresh", "Drop %"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...rows.map(([name, get]) => {
      const a = get(tm), b = fr ? get(fr) : null;
      return el("tr", { "data-fig": name }, el("td", { text: name }), el("td", { "data-v": String(a), text: fmt(a, 1) }),
        el("td", { "data-v": String(b), text: fmt(b, 1) }), el("td", { text: a && b != null ? fmt((100 * (a - b)) / Math.abs(a), 1) : "–" }));
    })));
  renderExplain(k);
}

function renderExplain(k) {
  const ex = state.opt.explain && state.opt.explain[k];
  $("explainOut").hidden = !ex;
  if (!ex) return;
  const why = ex.why_high_tail || {};
  $("whyText").textContent = why.text || "";
  if (why.drivers) ch.shareChart("shareChart", why.drivers);
  $("tvmText").textContent = (ex.tail_vs_mean && ex.tail_vs_mean.text) || "";
  const cb = ex.constraint_binding;
  const t = $("bindingTable");
  if (!cb) {
    t.replaceChildren(el("tbody", {}, el("tr", {}, el("td", { text: "Not computed for this lineup (each relaxation re-solves; the server gives it for the first lineups)." }))));
    return;
  }
  t.replaceChildren(
    el("thead", {}, el("tr", {}, ...["Constraint", "Tight", "Relaxation", "Gain", "Exact", "Detail"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...cb.map((c) => el("tr", {}, el("td", { text: c.constraint }), el("td", { text: c.tight ? "yes" : "no" }),
      el("td", { class: "l", text: c.step || "–" }),
      el("td", { text: c.gain == null ? "–" : (c.exact ? fmt(c.gain, 2) : `${fmt(c.gain_low, 2)}…${fmt(c.gain_high, 2)}`) }),
      el("td", { text: c.exact == null ? "–" : c.exact ? "yes" : "no" }), el("td", { class: "l", text: c.text || "" })))));
}

function renderCalibration() {
  const cal = state.opt.calibration_metrics;
  $("calOut").hidden = !cal;
  if (!cal) return;
  $("calInfo").textContent = `${cal.scope}: ${cal.races_evaluated} races evaluated, ${cal.n_scenarios} scenarios each.`;
  ch.coverageChart("coverageChart", cal.models, "dk_points");
  ch.reliabilityChart("reliabilityChart", cal.models);
}

// ------------------------------------------------------------------ constraint specs

async function loadSpecList(select) {
  try {
    const r = await api("constraint-specs");
    const sel = $("specList");
    sel.replaceChildren(el("option", { value: "", text: "(none)" }),
      ...r.specs.map((s) => el("option", { value: s.id, text: `${s.name || "(unnamed)"} · ${s.id}` })));
    if (select) sel.value = select;
  } catch (e) {
    $("specMsg").textContent = `saved specs could not be listed: ${e.message}`;
  }
}

async function saveSpec() {
  clearErrors("secOpt");
  $("specMsg").textContent = "saving…";
  let spec;
  try { spec = buildSpec(); } catch (e) { fieldError("err-groups", e.message); $("specMsg").textContent = ""; return; }
  try {
    const r = await api("constraint-specs", { method: "POST", json: { name: $("specName").value.trim() || null, spec } });
    await loadSpecList(r.id);
    $("specMsg").textContent = `saved as ${r.id}`;
  } catch (e) { showError(e, optField, "optProblems"); }
}

async function loadSpec() {
  const id = $("specList").value;
  if (!id) { $("specMsg").textContent = "choose a saved spec first"; return; }
  $("specMsg").textContent = "loading…";
  try {
    const r = await api(`constraint-specs/${encodeURIComponent(id)}`);
    const unknown = fillForm(r.spec, null);
    $("specMsg").textContent = `loaded ${r.name || r.id}` + (unknown.length ? `; not on this slate: ${unknown.join(", ")}` : "");
  } catch (e) { showError(e, optField, "optProblems"); }
}

// ------------------------------------------------------------------ 4. contest

async function runContest(ev) {
  ev.preventDefault();
  clearErrors("secContest");
  // the duplicates limit shapes how lineups are built; /contest scores the stored portfolio as it is
  const { max_duplicates: _built, ...contest } = contestSettings();
  const body = { portfolio_id: state.opt.portfolio_id, contest, n_scenarios: intOf("cScen"), seed: intOf("cSeed") };
  resetFrom("con");
  try {
    $("runContest").disabled = true;
    setStatus("simulating the contest…");
    const jobId = await submitJob("contest", body);
    writeHash({ con: jobId });
    state.contest = await runJob("con", jobId);
    renderContest();
    setStatus("contest simulated");
  } catch (e) {
    writeHash({ con: null });
    showError(e, (d) => {
      const f = String(d.field || (d.loc || []).filter((x) => x !== "body").join("."));
      if (/^contest\.ownership/.test(f)) return "err-ownership";
      if ($(`err-${f}`)) return `err-${f}`;
      return $(`err-contest-${f}`) ? `err-contest-${f}` : null;
    }, "contestProblems");
  } finally {
    $("runContest").disabled = false;
  }
}

const CONTEST_FIGS = { roi: ["ROI", 100, "%"], cash_rate: ["cash rate", 100, "%"], top1_rate: ["top-1 % rate", 100, "%"], win_rate: ["win rate", 100, "%"] };

// What the contest's figures were judged on: fresh races (the judge stream of the seed, never the
// portfolio's optimisation scenarios), or, said plainly, the optimisation scenarios themselves.
function judgedOn(con) {
  const n = con.n_scenarios.toLocaleString("en-US");
  if (con.judged_on === "optimisation scenarios") {
    return `${n} races: the portfolio's own optimisation scenarios, so the ROI is in-sample and optimistic`;
  }
  return `${n} fresh races (seed ${con.seed}'s judge stream, never the scenarios the portfolio was optimised on)`;
}

function renderContest() {
  const c = state.contest, p = c.portfolio;
  $("conOut").hidden = false;
  $("conInfo").textContent = `${c.contest.n_entries.toLocaleString("en-US")} entries at $${c.contest.entry_fee}, prize pool ` +
    `$${Math.round(c.contest.prize_pool).toLocaleString("en-US")}, ${c.contest.paid_places.toLocaleString("en-US")} places paid, ` +
    `${judgedOn(c.contest)}. Portfolio: ROI ${fmt(100 * p.roi, 1)} % ± ${fmt(196 * p.roi_se, 1)}, ` +
    `expected profit $${fmt(p.expected_profit, 2)}, lower CVaR ${p.cvar_alpha} of profit $${fmt(p.profit_cvar, 2)}.`;
  warningsBox("conWarnings", c.warnings);
  fieldFacts("conField", c.contest);
  drawContestFigure();
  const figs = ["roi", "cash_rate", "top1_rate", "win_rate"];
  const row = (label, f, attrs) => el("tr", attrs, el("td", { text: label }),
    el("td", { "data-col": "expected_profit", "data-v": String(f.expected_profit), text: fmt(f.expected_profit, 2) }),
    ...figs.map((k) => el("td", { "data-col": k, "data-v": String(f[k]), text: `${fmt(100 * f[k], 2)} ± ${fmt(100 * f[`${k}_se`], 2)}` })));
  $("contestTable").replaceChildren(
    el("thead", {}, el("tr", {}, ...["Entry", "E[profit] $", "ROI %", "cash %", "top-1 % %", "win %"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...c.lineups.map((f, k) => row(`lineup ${k + 1}`, f, { "data-index": k })), row("portfolio", p, { "data-index": "portfolio" })));
  ch.profitChart("profitChart", c.profit_distribution);
  $("profitCaption").textContent = `The portfolio's profit in each of ${c.profit_distribution.n_scenarios.toLocaleString("en-US")} simulated contests (log count): ` +
    `mean $${fmt(c.profit_distribution.mean, 2)}, lower CVaR ${c.profit_distribution.alpha} $${fmt(c.profit_distribution.lower_cvar, 2)} (the bankroll figure).`;
}

function drawContestFigure() {
  const c = state.contest, key = $("conMetric").value, [name, scale, unit] = CONTEST_FIGS[key];
  const all = [...c.lineups, c.portfolio];
  ch.errorBarChart("contestChart", [...c.lineups.map((_, k) => `L${k + 1}`), "P"], all.map((f) => f[key]),
    all.map((f) => f[`${key}_se`]), scale, `${name} (${unit})`);
}

// ------------------------------------------------------------------ downloads

async function download(resp, fallback) {
  const cd = resp.headers.get("Content-Disposition") || "";
  const m = cd.match(/filename="([^"]+)"/);
  const blob = await resp.blob();
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: m ? m[1] : fallback });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function downloadUpload() {
  try {
    const r = await api(`portfolios/${encodeURIComponent(state.opt.portfolio_id)}/export`, { raw: true });
    await download(r, "upload.csv");
    setStatus("upload CSV downloaded");
  } catch (e) { showError(e, () => null, "optProblems"); }
}

async function downloadEntries() {
  $("err-entries").textContent = "";
  const f = $("entriesFile").files[0];
  if (!f) { fieldError("err-entries", "choose the DKEntries.csv you downloaded from DraftKings first"); return; }
  const fd = new FormData();
  fd.append("file", f, f.name);
  try {
    const r = await api(`portfolios/${encodeURIComponent(state.opt.portfolio_id)}/entries`, { method: "POST", form: fd, raw: true });
    await download(r, `filled-${f.name}`);
    setStatus("filled entries downloaded");
  } catch (e) { showError(e, () => "err-entries", "optProblems"); }
}

// ------------------------------------------------------------------ reset and restore

/** Forget a step and every step after it (on the page, and in the hash). */
function resetFrom(step) {
  const order = ["sim", "opt", "con"];
  const from = order.indexOf(step);
  if (from <= 0) { state.sim = null; $("simOut").hidden = true; }
  if (from <= 1) { state.opt = null; state.portfolio = null; $("optOut").hidden = true; $("secContest").hidden = true; }
  if (from <= 2) { state.contest = null; $("conOut").hidden = true; }
  writeHash(Object.fromEntries(order.slice(from).map((k) => [k, null])));
}

/** After a reload: fetch every stored step named in the hash back from the API. */
async function restore() {
  const h = readHash();
  if (h.bt) {  // the backtest stands alone: restored whatever the other steps hold
    followBacktest(h.bt).catch((e) => showError(e, () => null, "btProblems"));
  }
  if (h.pl) {  // the day's plan: restored from its job alone (its slate is in the result)
    followPlan(h.pl).catch((e) => showError(e, () => null, "plProblems"));
  }
  if (!h.s) { loadSpecList(); return; }
  setStatus("restoring your session from the server…");
  try {
    state.slate = await api(`slates/${encodeURIComponent(h.s)}`);
    if (h.h) state.history = await api(`histories/${encodeURIComponent(h.h)}`);
    const own = localStorage.getItem(`tailrace.own.${h.s}`);
    if (own) state.ownership = JSON.parse(own);
    renderSlate();
    if (h.sim) { state.sim = await runJob("sim", h.sim); renderSim(); }
    if (h.opt) {
      const res = await runJob("opt", h.opt);
      await showOptimize(res);
      const pf = state.portfolio;
      if (!state.ownership && pf.contest && pf.contest.ownership) state.ownership = pf.contest.ownership;  // from the store
      fillForm(pf.spec || {}, pf.contest);
      renderOptimize();
      $("nScen").value = pf.n_scenarios; $("seed").value = pf.seed;
    }
    if (h.con) { state.contest = await runJob("con", h.con); renderContest(); }
    setStatus("session restored");
  } catch (e) {
    showError(e, () => null, "slateProblems");
    setStatus(`could not restore the session: ${e.message}`, true);
  }
}

// ------------------------------------------------------------------ wiring

$("slateForm").addEventListener("submit", uploadSlate);
$("simForm").addEventListener("submit", simulate);
$("optForm").addEventListener("submit", optimize);
$("contestForm").addEventListener("submit", runContest);
$("driverSort").addEventListener("change", () => state.sim && drawDrivers());
$("conMetric").addEventListener("change", () => state.contest && drawContestFigure());
$("objective").addEventListener("change", showObjectiveFields);
$("specSave").addEventListener("click", saveSpec);
$("specLoad").addEventListener("click", loadSpec);
$("dlUpload").addEventListener("click", downloadUpload);
$("dlEntries").addEventListener("click", downloadEntries);
$("resetAll").addEventListener("click", () => { history.replaceState(null, "", location.pathname); location.reload(); });
showObjectiveFields();
initBacktest({ el, setStatus, showError, fieldError, clearErrors, runJob, writeHash }, state);
initPlan({ el, setStatus, showError, fieldError, clearErrors, runJob, writeHash }, state);
window.tailraceState = state;  // for the browser tests and the curious
restore().finally(() => { document.body.dataset.ready = "1"; });
