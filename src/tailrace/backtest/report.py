"""A backtest's result as tables (rich), a JSON file and PNG plots. Every figure from synthetic
salaries is labelled SYNTHETIC where it is shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from tailrace.backtest.methods import LABELS
from tailrace.backtest.run import BacktestResult
from tailrace.outputs import atomic_write_bytes, atomic_write_text, jsonable

__all__ = ["result_json", "print_tables", "write_report"]


def result_json(result: BacktestResult) -> dict[str, Any]:
    """The JSON document: ``races`` (per race and method), ``skipped``, ``pooled`` and
    ``start_buckets`` keyed ``real`` / ``synthetic``, ``options``, ``history``, ``seconds``."""

    return jsonable(result.model_dump(mode="json"))


def _kind(k: str) -> str:
    return "SYNTHETIC salaries" if k == "synthetic" else "real salaries"


def _pm(v: float | None, se: float | None, fmt: str = ".3f") -> str:
    if v is None or not np.isfinite(v):
        return "-"
    return f"{v:{fmt}}" + (f" ± {se:{fmt}}" if se is not None and np.isfinite(se) else "")


def print_tables(result: BacktestResult, console: Any) -> None:
    """One table per race kind (each race: method rows) and the pooled table, on ``console``."""
    from rich.table import Table

    for k in result.pooled:
        t = Table(title=f"Backtest per race — {_kind(k)} (best lineup's percentile among every legal lineup)",
                  caption="ROI ± is one SE over the field draws only: the real race is fixed (SE 0 when every "
                          "drawn field pays the same)")
        for c in ("race", "track", "method", "best pts", "pctile", "gap", "GPP ROI", "double-up ROI",
                  "params through", "note"):
            t.add_column(c, justify="left" if c in ("race", "track", "method", "params through", "note") else "right")
        for r in result.races:
            if r.salaries != k:
                continue
            for j, (m, s) in enumerate(r.methods.items()):
                note = "params in-sample" if r.params_in_sample else ""
                thr = (f"{r.params_fitted_through[0]}-{r.params_fitted_through[1]:02d}"
                       if r.params_fitted_through else "none")
                t.add_row(f"{r.season}-{r.race_num:02d}" if j == 0 else "", r.track if j == 0 else "", LABELS[m],
                          f"{s.best_points:.2f}", f"{s.percentile:.3f}", f"{s.gap:.2f}",
                          _pm(s.gpp_roi, s.gpp_roi_se), _pm(s.cash_roi, s.cash_roi_se), thr if j == 0 else "",
                          note if j == 0 else "")
        console.print(t)
        p = result.pooled[k]
        ref = next(iter(p["methods"]), None)
        t = Table(title=f"Pooled over {p['races']} race(s) — {_kind(k)}; ± is one SE across races")
        for c in ("method", "mean pctile", "top 0.1 %", "top 1 %", "mean gap", "GPP ROI", "double-up ROI",
                  f"GPP ROI {ref} − this (paired)"):
            t.add_column(c, justify="left" if c == "method" else "right")
        for m, f in p["methods"].items():
            t.add_row(f["label"], _pm(f["mean_percentile"], f["mean_percentile_se"], ".2f"),
                      f"{100 * f['share_top_0_1pct']:.0f} %", f"{100 * f['share_top_1pct']:.0f} %", f"{f['mean_gap']:.1f}",
                      _pm(f["gpp_roi"], f["gpp_roi_se"]), _pm(f["cash_roi"], f["cash_roi_se"]),
                      _pm(f[f"gpp_roi_{ref}_minus_this"], f[f"gpp_roi_{ref}_minus_this_se"]))
        console.print(t)
        b = Table(title=f"Model start-bucket bias — {_kind(k)}: mean simulated − real DK points (± SE)")
        b.add_column("track type")
        cols = ["1-5", "6-15", "16-25", "26-32", "33+"]
        for c in cols:
            b.add_column(f"start {c}", justify="right")
        for tt, row in result.start_buckets[k].items():
            b.add_row(tt, *[_pm(row[c]["diff"], row[c]["se"], ".1f") + f" (n {row[c]['n']})" if c in row else "-"
                            for c in cols])
        console.print(b)
    for r in result.races:
        for n in r.notes:
            console.print(f"note {r.season}-{r.race_num:02d}: {n}", highlight=False)
    for s in result.skipped:
        console.print(f"skipped {s.season}-{s.race_num:02d} ({s.salaries}): {s.reason}", highlight=False)
    if any(r.params_in_sample for r in result.races):
        console.print("params in-sample: the track-type parameters saw this race (refitting was switched off; "
                      "the driver ratings saw only earlier races).", highlight=False)
    console.print("params through: the last race the track-type parameters were fitted on (DEFAULT_PARAMS: "
                  "2019-2022; earlier races get a refit on the races before them).", highlight=False)
    for note in result.se_notes.values():
        console.print(f"SE: {note}.", highlight=False)


def write_report(result: BacktestResult, json_path: str | Path | None, plots_dir: str | Path | None) -> list[Path]:
    """Write the JSON (if ``json_path``) and, if ``plots_dir``, ``percentile.png``: the best
    lineup's percentile per race and method, one panel per salary kind (synthetic labelled)."""

    written: list[Path] = []
    if json_path is not None:
        written.append(atomic_write_text(json_path, json.dumps(result_json(result), indent=2, allow_nan=False)))
    if plots_dir is None or not result.races:
        return written
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = list(result.pooled)
    fig, axes = plt.subplots(len(kinds), 1, figsize=(10, 3.6 * len(kinds)), squeeze=False)
    for ax, k in zip(axes[:, 0], kinds):
        races = [r for r in result.races if r.salaries == k]
        x = np.arange(len(races))
        methods = list(result.pooled[k]["methods"])
        w = 0.8 / max(len(methods), 1)
        for j, m in enumerate(methods):
            ax.bar(x + j * w, [r.methods[m].percentile for r in races], w, label=LABELS[m])
        ax.set_xticks(x + 0.4 - w / 2)
        ax.set_xticklabels([f"{r.season}-{r.race_num:02d}" for r in races], rotation=90 if len(races) > 12 else 0,
                           fontsize=7 if len(races) > 12 else 9)
        lo = min([r.methods[m].percentile for r in races for m in methods] + [90.0])
        ax.set_ylim(max(0.0, lo - 1.0), 100.2)
        ax.axhline(99.0, color="k", lw=0.8, ls="--")
        ax.set_ylabel("best lineup percentile")
        ax.set_title(f"Best lineup's percentile among every legal lineup — {_kind(k)}")
        ax.legend(fontsize=8, ncol=len(methods))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    plots = Path(plots_dir)
    plots.mkdir(parents=True, exist_ok=True)
    written.append(atomic_write_bytes(plots / "percentile.png", buf.getvalue()))
    return written
