"""Benchmark of the REST API: /optimize for 20 lineups on the demo slate, over HTTP to a real server.

Starts `tailrace serve` on a free 127.0.0.1 port with a temporary data directory, then measures:
  * cold calls: a new seed each time, so the scenario set is generated (cache miss);
  * warm calls: the same request 50 times (scenario set from the cache): p50 / p99 latency;
  * the scenario step alone, cold vs warm (kernel_stats.seconds): the cache's speed-up;
  * throughput with 8 concurrent clients (warm cache, distinct requests so none are coalesced).
Goals (issue 4): warm p50 <= 1 s; warm scenario fetch >= 100x faster than cold generation; zero errors.

Usage: .venv/bin/python benchmarks/api.py [--scenarios 10000] [--calls 50] [--cold 5] [--clients 8]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tailrace.slate import demo_paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAILRACE_")}
    env["TAILRACE_DATA_DIR"] = str(data_dir)
    env["TAILRACE_SYNC_TIME_LIMIT"] = "3600"  # measure the work, not the sync cut-off
    proc = subprocess.Popen([sys.executable, "-m", "tailrace.cli", "serve", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning"], env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", type=int, default=10_000)
    ap.add_argument("--lineups", type=int, default=20)
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--cold", type=int, default=5)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--per-client", type=int, default=5)
    a = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="tailrace-bench-") as tmp:
        proc, url = start_server(Path(tmp))
        errors = 0
        try:
            c = httpx.Client(base_url=url, timeout=600)
            sal, proj = demo_paths()
            slate_id = c.post("/slates", data={"site": "dk"}, files={"salaries": ("s.csv", sal.read_bytes()),
                                                                     "projections": ("p.csv", proj.read_bytes())}
                              ).json()["slate_id"]
            spec = {"n_lineups": a.lineups, "global_max_exposure": 0.5, "objective": {"kind": "upper-cvar",
                                                                                      "beta": 0.01}}

            def req(seed: int, beta: float = 0.01) -> dict:
                return {"slate_id": slate_id, "n_scenarios": a.scenarios, "seed": seed,
                        "spec": {**spec, "objective": {"kind": "upper-cvar", "beta": beta}}}

            failures: list[str] = []

            def call(client: httpx.Client, body: dict) -> tuple[float, dict | None]:
                t = time.perf_counter()
                try:
                    r = client.post("/optimize", json=body)
                except httpx.HTTPError as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")
                    return time.perf_counter() - t, None
                dt = time.perf_counter() - t
                if r.status_code != 200:
                    failures.append(f"HTTP {r.status_code}: {r.text[:200]}")
                    return dt, None
                return dt, r.json()

            # warm up numba / imports once (not counted)
            call(c, req(999_999))

            cold_t, cold_scen = [], []
            for k in range(a.cold):
                dt, body = call(c, req(1000 + k))
                if body is None or body["kernel_stats"]["cache_hit"]:
                    errors += 1
                    continue
                cold_t.append(dt)
                cold_scen.append(body["kernel_stats"]["seconds"])

            call(c, req(7))  # make the warm set
            warm_t, warm_scen, warm_opt = [], [], []
            for _ in range(a.calls):
                dt, body = call(c, req(7))
                if body is None or not body["kernel_stats"]["cache_hit"]:
                    errors += 1
                    continue
                warm_t.append(dt)
                warm_scen.append(body["kernel_stats"]["seconds"])
                warm_opt.append(body["timings"]["optimize"])

            # throughput: a.clients clients, distinct betas (no coalescing), warm scenario set
            conc_t: list[float] = []  # latency of each concurrent call (list.append is thread-safe)

            def client_run(k: int) -> tuple[int, int]:
                ok = bad = 0
                with httpx.Client(base_url=url, timeout=600) as cc:
                    for j in range(a.per_client):
                        dt, body = call(cc, req(7, beta=0.01 + 0.001 * (k * a.per_client + j + 1)))
                        ok, bad = (ok + 1, bad) if body is not None else (ok, bad + 1)
                        if body is not None:
                            conc_t.append(dt)
                return ok, bad

            t = time.perf_counter()
            with cf.ThreadPoolExecutor(a.clients) as ex:
                res = list(ex.map(client_run, range(a.clients)))
            wall = time.perf_counter() - t
            done = sum(r[0] for r in res)
            errors += sum(r[1] for r in res)
            h = c.get("/health").json()
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    cold_p50 = statistics.median(cold_t) if cold_t else float("nan")
    warm_p50 = statistics.median(warm_t) if warm_t else float("nan")
    scen_cold = statistics.median(cold_scen) if cold_scen else float("nan")
    scen_warm = statistics.median(warm_scen) if warm_scen else float("nan")
    print(f"/optimize, demo slate (38 drivers), {a.lineups} lineups, {a.scenarios:,} scenarios, 2 cores")
    print(f"{'':34s}{'p50 (s)':>10s}{'p99 (s)':>10s}{'n':>6s}")
    print(f"{'cold (new seed: simulate + solve)':34s}{cold_p50:10.3f}{pct(cold_t, 0.99):10.3f}{len(cold_t):6d}")
    print(f"{'warm (cached scenario set)':34s}{warm_p50:10.3f}{pct(warm_t, 0.99):10.3f}{len(warm_t):6d}")
    print(f"scenario step: cold generation {scen_cold * 1e3:.1f} ms, warm cache fetch {scen_warm * 1e3:.2f} ms, "
          f"ratio {scen_cold / scen_warm:.0f}x (goal >= 100x)")
    print(f"whole call: cold / warm p50 = {cold_p50 / warm_p50:.1f}x")
    over = [w - o for w, o in zip(warm_t, warm_opt)]
    if over:
        print(f"warm call = library portfolio solve p50 {statistics.median(warm_opt):.3f} s + API overhead "
              f"(HTTP, JSON, store, cache fetch, checks) p50 {statistics.median(over) * 1e3:.1f} ms, "
              f"p99 {pct(over, 0.99) * 1e3:.1f} ms")
    print(f"throughput, {a.clients} concurrent clients: {done} calls in {wall:.2f} s = {done / wall:.2f} calls/s; "
          f"latency p50 {statistics.median(conc_t) if conc_t else float('nan'):.2f} s, p99 {pct(conc_t, 0.99):.2f} s "
          "(synchronous calls run one at a time: the kernels already use both cores)")
    print(f"errors: {errors} (goal 0); cache: {h['cache']}")
    for f in failures[:5]:
        print("  failure:", f)
    print(f"goal warm p50 <= 1 s: {'met' if warm_p50 <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
