// The page's only way to the server: the public REST API. Adds the API key (asked for on a 401
// and kept in this tab's sessionStorage), turns error bodies into ApiError, and runs jobs
// (?async=true, then GET /jobs/{id}) with a progress callback and cancellation.

const KEY = "tailrace.apiKey";

/** An error answer of the API: status, and its body {error, message, detail[], conflicts}. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || { error: "http", message: this.message, detail: [] };
  }
}

/** Raised when the user cancels a job from the page. */
export class JobCancelled extends Error {}

let keyWaiter = null;

/** Show the API-key dialog and resolve with the key the user typed (one dialog for all callers). */
function askForKey(message) {
  if (keyWaiter) return keyWaiter;
  const dlg = document.getElementById("keyDialog");
  const form = document.getElementById("keyForm");
  const input = document.getElementById("apiKey");
  document.getElementById("keyError").textContent = message || "";
  keyWaiter = new Promise((resolve, reject) => {
    const done = (ev) => {
      ev.preventDefault();
      const k = input.value.trim();
      if (!k) return;
      sessionStorage.setItem(KEY, k);
      form.removeEventListener("submit", done);
      dlg.removeEventListener("cancel", cancel);
      dlg.close();
      keyWaiter = null;
      resolve(k);
    };
    const cancel = () => {
      form.removeEventListener("submit", done);
      dlg.removeEventListener("cancel", cancel);
      keyWaiter = null;
      reject(new ApiError(401, { error: "unauthorized", message: "this server needs an API key", detail: [] }));
    };
    form.addEventListener("submit", done);
    dlg.addEventListener("cancel", cancel);
    dlg.showModal();
    input.focus();
  });
  return keyWaiter;
}

/**
 * Call the API. `opts`: method, json (a body sent as JSON), form (FormData), raw (return the
 * Response, e.g. for CSV). On 401 the key dialog opens and the call is retried with the key.
 */
export async function api(path, opts = {}) {
  const { method = "GET", json, form, raw = false } = opts;
  let wrongKey = false;
  for (;;) {
    const headers = {};
    const key = sessionStorage.getItem(KEY);
    if (key) headers["X-API-Key"] = key;
    let body;
    if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
    else if (form) body = form;
    let r;
    try {
      r = await fetch(path, { method, headers, body });
    } catch (e) {
      throw new ApiError(0, { error: "network", message: `the server could not be reached (${e.message})`, detail: [] });
    }
    if (r.status === 401) {
      await askForKey(key || wrongKey ? "That key was refused; try again." : "");
      wrongKey = true;
      continue;
    }
    if (!r.ok) {
      let b;
      try { b = await r.json(); } catch { b = { error: "http", message: `${r.status} ${r.statusText}`, detail: [] }; }
      throw new ApiError(r.status, b);
    }
    return raw ? r : r.json();
  }
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/**
 * Follow a job until it ends: `onProgress(fraction, message)` on every poll; resolves with the
 * result, throws ApiError (failed; the job's error body) or JobCancelled.
 */
export async function followJob(jobId, onProgress) {
  let wait = 150;
  for (;;) {
    const j = await api(`jobs/${encodeURIComponent(jobId)}`);
    onProgress(j.progress || 0, j.message || j.state);
    if (j.state === "done") return j.result;
    if (j.state === "failed") {
      const e = j.error || {};
      throw new ApiError(e.status || 500, e);  // the job's error reads like the response's would
    }
    if (j.state === "cancelled") throw new JobCancelled("cancelled");
    await sleep(wait);
    wait = Math.min(600, wait + 75);
  }
}

/** Submit work as a job (POST path?async=true); resolves with the job id. */
export async function submitJob(path, body) {
  const r = await api(`${path}?async=true`, { method: "POST", json: body });
  return r.job_id;
}

/** Cancel a job (DELETE /jobs/{id}). */
export function cancelJob(jobId) {
  return api(`jobs/${encodeURIComponent(jobId)}`, { method: "DELETE" });
}
