"""The contest-day plan against two baselines, judged on fresh scenarios and fields it did not draw (issue 26).

A day of three DraftKings contests on one slate (``DAY``): a large GPP ($5, 5,000 entries, up
to 20), a mid-size GPP ($20, 500 entries, up to 5) and a double-up ($10, 100 entries, up to 3);
bankroll $500, day's stake capped at 30 % ($150).

The plan (``tailrace.plan.run.run_plan``) is given what a user has: the optimisation scenarios
(split in two: lineups chosen on the first half, entries decided on the second) and an
ownership *estimate* (the true ownership x exp(N(0, 0.3^2)), ``_fields.perturb_ownership``), from
which it draws its own fields with tailrace's sampler. Every method enters the **same lineups**
(the plan's builds, in contest mode's order); only the entries per contest differ, so the table
measures the decision:

* ``plan``: the plan's allocation (full Kelly);
* ``all in the big GPP``: the big GPP filled up to its limit or the stake cap;
* ``even split``: the stake cap split evenly in dollars across the contests (each up to its limit).

Judging: fresh scenarios (``decision_quality.build_setup``'s evaluation set, another seed) and
``--draws`` fields per contest from ``_fields.weighted_field`` (an ownership-weighted sampler
written without tailrace's field code) on the **true** ownership. Per method: the day's profit
``P[d, s]`` (draw d, scenario s), mean log-growth ``mean log(1 + P / bankroll)`` and P(loss),
with SE^2 = var_s(mean_d x) / S + var_d(mean_s x) / K; differences are paired (same scenarios
and fields) and get the same SE.

Slates: ``kansas`` (the demo), ``martinsville``, ``talladega`` (the demo drivers rebuilt for
those tracks, ``decision_quality.track_slate``).

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/contest_day.py [--quick] [--slates kansas,martinsville,talladega]
[--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import replace

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _fields  # noqa: E402
import decision_quality as dq  # noqa: E402

from tailrace.contest import Contest, Field, scenario_payouts  # noqa: E402
from tailrace.pipeline import contest_from_parts, payouts_from_options  # noqa: E402
from tailrace.plan.contests import DayContest  # noqa: E402
from tailrace.plan.run import run_plan  # noqa: E402
from tailrace.sim.scenarios import Scenarios  # noqa: E402
from tailrace.slate import demo_slate  # noqa: E402

DAY = (
    DayContest("big GPP", "gpp", 5.0, 5_000, 20),
    DayContest("mid GPP", "gpp", 20.0, 500, 5),
    DayContest("double-up", "double-up", 10.0, 100, 3, payouts="double-up"),
)
BANKROLL, MAX_STAKE = 500.0, 0.30
OWN_SIGMA = 0.3
METHODS = ("plan", "all in the big GPP", "even split")


def baselines(day=DAY, bankroll: float = BANKROLL, max_stake: float = MAX_STAKE) -> dict[str, tuple[int, ...]]:
    """The baselines' entries per contest (module docstring)."""
    cap = bankroll * max_stake
    big = max(range(len(day)), key=lambda c: day[c].field_size)
    allin = tuple(min(d.max_entries, int(math.floor(cap / d.entry_fee + 1e-9))) if c == big else 0
                  for c, d in enumerate(day))
    even = tuple(min(d.max_entries, int(math.floor(cap / len(day) / d.entry_fee + 1e-9))) for d in day)
    return {"all in the big GPP": allin, "even split": even}


def _se(x: np.ndarray) -> tuple[float, float]:
    """Mean and SE of x (K draws, S scenarios): scenario noise plus field-draw noise."""
    per_s = x.mean(axis=0)
    var = per_s.var(ddof=1) / per_s.shape[0]
    if x.shape[0] > 1:
        var += x.mean(axis=1).var(ddof=1) / x.shape[0]
    return float(x.mean()), math.sqrt(var)


def run_slate(key: str, n_opt: int, n_eval: int, draws: int, seed: int) -> dict:
    t0 = time.perf_counter()
    st = dq.build_setup(key, n_opt, n_eval, seed)
    base = demo_slate()
    slate = replace(base, drivers=tuple(replace(d, salary=int(s), projection=float(p), ownership=None)
                                        for d, s, p in zip(base.drivers, st.sal, st.proj)))
    own_user = _fields.perturb_ownership(st.own, OWN_SIGMA, np.random.default_rng([seed, 99]))
    ids = tuple(slate.ids)
    h = st.opt.shape[0] // 2
    build = Scenarios(points=np.ascontiguousarray(st.opt[:h], np.float32), driver_ids=ids, meta={"seed": seed})
    alloc = Scenarios(points=np.ascontiguousarray(st.opt[h:], np.float32), driver_ids=ids, meta={"seed": seed})

    def make(i, dc, points, rng):
        pay = payouts_from_options(dc.payouts, entry_fee=dc.entry_fee, field_size=dc.field_size)
        return contest_from_parts(slate, points, pay, ownership=own_user, entry_fee=dc.entry_fee,
                                  field_size=dc.field_size, seed=rng)

    run = run_plan(slate, DAY, build, alloc, alloc, bankroll=BANKROLL, max_stake=MAX_STAKE, seed=seed,
                   make_contest=make)
    plan_k = tuple(r["entries"] for r in run.result["contests"])
    allocs = {"plan": plan_k, **baselines()}
    builds = run.built  # contest mode's builds at each contest's most entries; the baselines take prefixes
    # judging: fresh scenarios, independent fields on the true ownership
    ev = np.ascontiguousarray(st.ev, np.float32)
    S = ev.shape[0]
    profit = {m: np.zeros((draws, S)) for m in allocs}
    for c, dc in enumerate(DAY):
        pay_t = payouts_from_options(dc.payouts, entry_fee=dc.entry_fee, field_size=dc.field_size)
        for d in range(draws):
            fl = _fields.weighted_field(st.own, st.sal, dq.ROSTER, dq.CAP, dc.field_size,
                                        np.random.default_rng([seed, 500 + d, c]))
            judge = Contest(dc.entry_fee, dc.field_size, pay_t, Field(np.asarray(fl, np.int32), "sampled",
                                                                      "independent"))
            for m, k in allocs.items():
                if k[c] == 0:
                    continue
                lus = run.lineups[c] if m == "plan" else builds[c][:k[c]]
                p, _, _ = scenario_payouts(judge, ev, lus)
                profit[m][d] += p.sum(axis=1) - dc.entry_fee * k[c]
    out = {"slate": key, "label": st.label, "entries": {m: list(a) for m, a in allocs.items()},
           "stake": {m: float(sum(k * d.entry_fee for k, d in zip(a, DAY))) for m, a in allocs.items()},
           "n_opt": n_opt, "n_eval": n_eval, "draws": draws, "methods": {}}
    g_plan = np.log1p(profit["plan"] / BANKROLL)
    l_plan = (profit["plan"] < -1e-9).astype(float)
    for m in allocs:
        g = np.log1p(profit[m] / BANKROLL)
        loss = (profit[m] < -1e-9).astype(float)
        row = {"log_growth": _se(g), "p_loss": _se(loss), "expected_profit": _se(profit[m])}
        if m != "plan":
            row["plan_minus_this_log_growth"] = _se(g_plan - g)
            row["plan_minus_this_p_loss"] = _se(l_plan - loss)
        out["methods"][m] = row
    out["plan_in_sample"] = {"growth_on_allocation_set": run.result["allocation"]["growth_objective"],
                             "exact_on_allocation_set": run.result["allocation"]["exact"]["log_growth"]}
    out["seconds"] = time.perf_counter() - t0
    return out


def table(results: list[dict]) -> str:
    lines = ["| slate | method | entries (big / mid / DU) | stake | mean log-growth ×1000 | plan − this ×1000 | "
             "P(loss) | exp. profit |", "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in results:
        for m in METHODS:
            x = r["methods"][m]
            g, gs = x["log_growth"]
            diff = "—" if m == "plan" else "{:+.2f} ± {:.2f}".format(1000 * x["plan_minus_this_log_growth"][0],
                                                                     1000 * x["plan_minus_this_log_growth"][1])
            lines.append(f"| {r['label']} | {m} | {' / '.join(map(str, r['entries'][m]))} | ${r['stake'][m]:.0f} | "
                         f"{1000 * g:+.2f} ± {1000 * gs:.2f} | {diff} | {100 * x['p_loss'][0]:.1f} % ± "
                         f"{100 * x['p_loss'][1]:.1f} | ${x['expected_profit'][0]:+.2f} ± "
                         f"{x['expected_profit'][1]:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 optimisation / 2,000 fresh scenarios, 2 draws")
    ap.add_argument("--slates", default="kansas,martinsville,talladega")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    n_opt, n_eval, draws = (2_000, 2_000, 2) if a.quick else (6_000, 10_000, 3)
    results = []
    for key in a.slates.split(","):
        r = run_slate(key.strip(), n_opt, n_eval, draws, a.seed)
        print(f"{r['label']}: {r['seconds']:.0f} s; entries {r['entries']}", flush=True)
        results.append(r)
    print(table(results))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
