"""The work behind the endpoints: plain functions over (Context, typed request, progress) -> response dict.

The same functions serve synchronous requests (in a thread of the server) and async jobs (in
a worker process), so both give the same answer for the same request. They call the library
only; nothing here knows about HTTP.
"""

from __future__ import annotations

import csv
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from tailrace.errors import InputError, Problem
from tailrace.outputs import jsonable
from tailrace.sim.cache import ScenarioCache, uncached
from tailrace.sites import get_site
from tailrace.slate import Driver, Slate
from tailrace.store import Store, slate_from_dict, slate_to_dict

from tailrace.api.schemas import SimulateRequest, SlateIn
from tailrace.api.settings import Settings

Progress = Callable[[float, str], None]


def no_progress(fraction: float, message: str) -> None:
    """A progress callback that ignores its calls."""


# ---------------------------------------------------------------------------- context


@dataclass
class Context:
    """What work needs: settings, the store and the scenario cache (one per process)."""

    settings: Settings
    store: Store
    cache: ScenarioCache | None  # None: every set is computed afresh and kept nowhere (sim.cache.uncached)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)  # invariant checks by scenario cache key
    _locks_guard: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(cls, settings: Settings, store: Store | None = None) -> Context:
        """A context with the store and scenario cache under ``settings.data_dir``."""
        return cls(settings=settings, store=store or Store(settings.data_dir), cache=_make_cache(settings))

    def spec_store(self) -> Any:
        """Where constraint specs live: the graph when ``settings.graph_uri`` is set, else the SQLite store.

        The graph is connected on first use (GraphUnavailable -> 503), so the service starts
        while the graph is down and says so on the calls that need it.
        """
        if not self.settings.graph_uri:
            return self.store
        from tailrace.store.graph import GraphConfig, connect
        from tailrace.store.graph.specs import GraphSpecStore

        return GraphSpecStore(connect(GraphConfig.from_env(self.settings.graph_uri)))

    def key_lock(self, key: str) -> threading.Lock:
        """One lock per cache key, so concurrent identical requests compute a scenario set once."""
        with self._locks_guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock

    def cache_stats(self) -> dict[str, Any]:
        """Scenario-cache statistics: entries and bytes in memory and on disk, hits, misses, hit rate."""
        raw: dict[str, Any] = self.cache.stats() if self.cache is not None else {}
        hits = int(raw.get("hits", 0))
        misses = int(raw.get("misses", 0))
        return {
            "entries": int(raw.get("entries", 0)),
            "bytes": int(raw.get("bytes", 0)),
            "disk_entries": int(raw.get("disk_entries", 0)),
            "disk_bytes": int(raw.get("disk_bytes", 0)),
            "hits": hits,
            "misses": misses,
            "hit_rate": hits / (hits + misses) if hits + misses else None,
        }


def _make_cache(settings: Settings) -> ScenarioCache:
    """The process's scenario cache under ``settings.cache_dir`` (memory budget ``cache_memory_bytes``)."""
    return ScenarioCache(settings.cache_dir, max_bytes=settings.cache_memory_bytes)


# ---------------------------------------------------------------------------- slates


def check_limit(value: int, limit: int, field_name: str) -> None:
    if value > limit:
        raise InputError(Problem(f"{value:,} is above this server's limit of {limit:,}", field=field_name,
                                 fix=f"use at most {limit:,}"))


def slate_from_json(data: SlateIn) -> Slate:
    """A Slate from the JSON form (``SlateIn``), with the checks the file readers make.

    Raises InputError listing each problem by field path (``drivers[3].salary``): duplicate
    IDs, salaries outside the site's range, start positions that are not 1..n, too few drivers.
    """
    site = get_site(data.site)
    drivers = data.drivers
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    lo, hi = site.salary_range
    for i, d in enumerate(drivers):
        if d.id in seen:
            problems.append(Problem(f"ID '{d.id}' is used by drivers[{seen[d.id]}] too",
                                    field=f"drivers[{i}].id", fix="give every driver its own site ID"))
        seen.setdefault(d.id, i)
        if not lo <= d.salary <= hi:
            problems.append(Problem(f"salary {d.salary} is outside {site.name}'s range {lo}..{hi}",
                                    field=f"drivers[{i}].salary", fix="give the salary in dollars, e.g. 8500"))
    if len(drivers) < site.roster_size:
        problems.append(Problem(f"{len(drivers)} drivers cannot fill a {site.name} lineup of {site.roster_size}",
                                field="drivers", fix=f"send at least {site.roster_size} drivers"))
    if len(drivers) > site.max_field:
        problems.append(Problem(f"{len(drivers)} drivers, but {site.name} scores only {site.max_field} places",
                                field="drivers", fix=f"send at most {site.max_field} drivers"))
    starts = [d.start for d in drivers]
    given = [s for s in starts if s is not None]
    if given and len(given) < len(starts):
        i = starts.index(None)
        problems.append(Problem("start is missing for this driver while others have one",
                                field=f"drivers[{i}].start", fix="give every driver a start, or none"))
    elif given and sorted(given) != list(range(1, len(given) + 1)):
        dup = sorted({s for s in given if given.count(s) > 1})
        what = f"start {dup[0]} is used twice" if dup else f"starts must be 1..{len(given)}"
        i = next(k for k, s in enumerate(starts) if (s in dup if dup else s > len(given)))
        problems.append(Problem(what, field=f"drivers[{i}].start",
                                fix=f"give each driver a different start from 1 to {len(given)}"))
    if problems:
        raise InputError(problems)
    out = tuple(Driver(**d.model_dump()) for d in drivers)
    track = data.track
    return Slate(site=site, drivers=out, track=track.strip() if track and track.strip() else None,
                 source={"json": "request body"})


def _display_name(name: str | None, default: str) -> str:
    base = Path(name or "").name
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base)[:100].strip()
    return base or default


def slate_from_uploads(site: str, salaries: bytes, salaries_name: str | None, projections: bytes | None,
                       projections_name: str | None, track: str | None, *, grid_complete: bool = False,
                       season: int | None = None, history: tuple[str, str] | None = None) -> Slate:
    """A Slate read from uploaded file contents through the library's readers.

    The bytes go to a private temporary directory; every message names the uploaded file by
    the name the client gave it, never by a server path. ``history``: ``(text, name)`` of a stored
    history; with no projections the slate's starting grid comes from it (the race's ``start``
    column only, as ``tailrace optimize --history`` takes it:
    :func:`tailrace.sim.history_strength.slate_from_history_grid`), with notes saying where the
    grid came from and naming the salary drivers left out.
    """
    from tailrace.slate import read_slate
    from tailrace.textfile import decode_text

    sal_label = _display_name(salaries_name, "salaries.csv")
    proj_label = _display_name(projections_name, "projections.csv") if projections is not None else None
    with tempfile.TemporaryDirectory(prefix="tailrace-upload-") as tmp:
        # under the client's file name, so a dk_<season>_r<NN>_<track>.csv name can tell the race
        sal_path = Path(tmp) / "s" / (sal_label if sal_label.lower().endswith(".csv") else "salaries.csv")
        sal_path.parent.mkdir()
        sal_path.write_bytes(salaries)
        proj_path = None
        if projections is not None:
            proj_path = Path(tmp) / "projections.csv"
            proj_path.write_bytes(projections)
        subs = [(str(sal_path), sal_label)] + ([(str(proj_path), proj_label)] if proj_path else [])

        def clean(text: Any) -> Any:
            if not isinstance(text, str):
                return text
            for a, b in subs:
                text = text.replace(a, b)
            text = text.replace(str(sal_path.parent) + "/", "")
            return text.replace(tmp, "upload")

        binary: list[Problem] = []  # checked for both files at once, by the readers' own decoder
        for lab, data in ((sal_label, salaries), (proj_label, projections)):
            if data is not None:
                try:
                    decode_text(data, lab)
                except InputError as exc:
                    binary += exc.problems
        if binary:
            raise InputError(binary)
        try:
            if history is not None and proj_path is None:
                from tailrace.sim.history_strength import slate_from_history_grid

                slate, hg, line = slate_from_history_grid(site, sal_path, history[0], history[1], track=track,
                                                          season=season)
                use = ("pass the same history_id to /simulate or /optimize for strengths from those ratings"
                       if hg.model is not None else "send no history_id to /simulate or /optimize for this slate")
                # the grid line already holds the note of a history with no earlier race: said once
                kept = tuple(n for n in slate.notes if not (hg.note and n == hg.note))
                slate = replace(slate, notes=kept + (f"{line}: {use}",))
            else:
                slate = read_slate(site, sal_path, proj_path, track=track, grid_complete=grid_complete,
                                   season=season)
        except InputError as exc:  # a history's problem is about this request's history_id
            raise InputError([replace(p, message=clean(p.message), file=clean(p.file), fix=clean(p.fix),
                                      **_as_history_id(p)) for p in exc.problems]) from None
        except (csv.Error, UnicodeError, ValueError) as exc:  # a reader that gave up on a malformed file
            raise InputError(Problem(f"the file could not be read as CSV ({clean(str(exc))})",
                                     file=f"{sal_label}" + (f" or {proj_label}" if proj_label else ""),
                                     fix="upload plain CSV files with a header row")) from None
    return replace(slate, source={k: clean(v) for k, v in slate.source.items()},
                   notes=tuple(clean(n) for n in slate.notes))


def save_slate(ctx: Context, slate: Slate) -> tuple[str, dict[str, Any]]:
    """Store a slate; returns (slate id, its stored dict)."""
    d = slate_to_dict(slate)
    return ctx.store.put_slate(d), d


def slate_response(slate_id: str, d: dict[str, Any]) -> dict[str, Any]:
    """The SlateResponse body for a stored slate dict."""
    from tailrace.races import RaceInfo

    race = RaceInfo(**d["race"]).to_json() if d.get("race") else None
    return {"slate_id": slate_id, "site": d["site"], "track": d.get("track"), "n_drivers": len(d["drivers"]),
            "drivers": d["drivers"], "notes": list(d.get("notes") or []), "race": race}


def load_slate(ctx: Context, slate_id: str) -> Slate:
    """A stored slate by id (NotFound if unknown)."""
    return slate_from_dict(ctx.store.get_slate(slate_id))


# ---------------------------------------------------------------------------- scenarios


def _driver_summary(slate: Slate, points: np.ndarray) -> list[dict[str, Any]]:
    p = np.asarray(points, dtype=np.float64)
    mean = p.mean(axis=0)
    sd = p.std(axis=0, ddof=1) if p.shape[0] > 1 else np.zeros(p.shape[1])
    q = np.quantile(p, [0.9, 0.99, 0.05, 0.5, 0.95], axis=0)
    return [
        {"id": d.id, "name": d.name, "mean": float(mean[j]), "sd": float(sd[j]), "p90": float(q[0, j]),
         "p99": float(q[1, j]), "p5": float(q[2, j]), "p50": float(q[3, j]), "p95": float(q[4, j])}
        for j, d in enumerate(slate.drivers)
    ]


def history_summary(history_id: str, model: Any) -> dict[str, Any]:
    """The HistoryResponse body of a stored, fitted history."""
    return {"history_id": history_id, "name": Path(model.source).name, "races": model.n_races,
            "drivers": len(model.names), "last_race": list(model.last_race) if model.last_race else None,
            "notes": list(model.notes[:20])}


def save_history(ctx: Context, data: bytes, name: str | None) -> dict[str, Any]:
    """Read, check and fit an uploaded history CSV, store it; returns its summary."""
    from tailrace.sim.history_strength import history_model_from_text

    from tailrace.textfile import decode_text

    label = _display_name(name, "history.csv")
    text = decode_text(data, label)  # binary data is an InputError here
    model = history_model_from_text(text, label)  # InputError for a bad file, before it is stored
    hid = ctx.store.put_history(label, text)
    return history_summary(hid, model)


def load_history(ctx: Context, history_id: str, slate: Slate | None = None) -> Any:
    """The fitted HistoryModel of a stored history (NotFound if unknown).

    With the ``slate``: when the history holds the slate's race, the ratings are fitted on the
    races before it only, never on its result or a later one (as ``tailrace optimize --history``:
    :func:`tailrace.sim.history_strength.history_model_for_race_text`)."""
    from tailrace.sim.history_strength import history_model_for_race_text, history_model_from_text

    h = ctx.store.get_history(history_id)
    race = getattr(slate, "race", None)
    try:
        if race is not None and getattr(race, "season", None) is not None:
            return history_model_for_race_text(h["text"], h["name"], race)[0]
        return history_model_from_text(h["text"], h["name"])
    except InputError as exc:  # the request names the history by history_id
        raise InputError([replace(p, **_as_history_id(p)) for p in exc.problems]) from None


def _as_history_id(p: Problem) -> dict[str, Any]:
    """A problem the library names ``history`` (its parameter) as this request's ``history_id``
    field; others unchanged (keyword arguments for ``dataclasses.replace``). Here, not in
    ``api.errors.FIELDS``: that map is the same for every endpoint, and POST /histories takes the
    file itself as ``history``."""
    return {"param": None, "field": "history_id"} if p.param == "history" and not p.field else {}


def stored_history(ctx: Context, history_id: str) -> tuple[str, str]:
    """``(text, name)`` of a stored history (NotFound if unknown)."""
    h = ctx.store.get_history(history_id)
    return h["text"], h["name"]


def get_scenarios(ctx: Context, slate: Slate, n: int, seed: int, track: str | None,
                  progress: Progress = no_progress, strengths: list[float] | None = None, *,
                  history_id: str | None = None, history_weight: float | None = None,
                  allow_shift: bool = False) -> tuple[Any, dict[str, Any]]:
    """The slate's scenario set (from the cache when it can) and its kernel stats.

    The set comes by the one road every face takes (``pipeline.scenario_set``), under the one
    cache key (``sim.keys.simulation_key``), so the CLI and the API share cache entries; its
    ``scenario_set_id`` is ``pipeline.scenario_set_id`` of that key. Identical concurrent calls in
    one process compute it once (``ctx.key_lock``, a lock per key); across processes the cache's
    file lock keeps one copy. ``seconds`` is the time to get the set (generation on a miss, a
    cache fetch on a hit); invariant checks are computed once per set.
    """
    from tailrace.pipeline import scenario_set  # the pipeline (and the optimiser under it) loads on first use
    from tailrace.sim.simulate import invariant_checks

    check_limit(n, ctx.settings.max_scenarios, "n_scenarios")
    missing = [i for i, d in enumerate(slate.drivers) if d.start is None]
    if missing:
        raise InputError([Problem(f"driver '{slate.drivers[i].name}' has no start position", field=f"drivers[{i}].start",
                                  fix="give every driver its start (a projections file with a start column)")
                          for i in missing[:10]])
    if strengths is not None and len(strengths) != slate.n:
        raise InputError(Problem(f"{len(strengths)} strengths for {slate.n} drivers", field="strengths",
                                 fix="give one log-strength per driver, in the slate's driver order"))
    model = load_history(ctx, history_id, slate) if history_id else None
    t0 = time.perf_counter()

    def tick(done: int, total: int) -> None:
        progress(0.25 * done / max(total, 1), f"simulated {done:,} of {total:,} races")

    # the one road (and key) the CLI takes too; ctx.key_lock: identical requests compute once here
    got = scenario_set(slate, n, seed, track=track, history=model, history_weight=history_weight,
                       allow_shift=allow_shift,
                       strengths=None if strengths is None else np.asarray(strengths, dtype=np.float64),
                       cache=ctx.cache if ctx.cache is not None else uncached(), lock=ctx.key_lock, progress=tick)
    scen, hit, set_id = got.scenarios, got.hit, got.set_id
    seconds = time.perf_counter() - t0
    progress(0.25, "scenarios ready")
    checks = ctx.checks.get(got.key)
    if checks is None:
        try:
            checks = jsonable(invariant_checks(scen, slate.site, slate.starts()))
        except Exception as exc:  # reported, not hidden
            checks = {"passed": None, "error": f"invariant checks could not run: {exc}"}
        ctx.checks[got.key] = checks
    stats = {
        "scenario_set_id": set_id,
        "count": int(scen.n_scenarios),
        "seed": int(seed),
        "seconds": float(seconds),
        "cache_hit": bool(hit),
        "invariant_checks_passed": checks.get("passed"),
        "invariant_checks": checks,
        "track": scen.meta.get("track"),
        "track_type": scen.meta.get("track_type"),
        "strength_source": scen.meta.get("strength_source"),
        "history": scen.meta.get("history"),
        "warnings": scen.stage_warnings(),
        "drivers": _driver_summary(slate, scen.points),
    }
    return scen, stats


def simulate_work(ctx: Context, req: SimulateRequest, progress: Progress = no_progress) -> dict[str, Any]:
    """POST /simulate: the scenario set of a stored slate and its per-driver summary."""
    slate = load_slate(ctx, req.slate_id)
    progress(0.05, "simulating")
    _, stats = get_scenarios(ctx, slate, req.n_scenarios, req.seed, req.track, progress, req.strengths,
                             history_id=req.history_id, history_weight=req.history_weight,
                             allow_shift=req.allow_projection_shift)
    ctx.store.put_scenario_set(stats["scenario_set_id"], req.slate_id,
                               {"n_scenarios": stats["count"], "seed": stats["seed"], "track": req.track,
                                "strengths": req.strengths, "history_id": req.history_id,
                                "history_weight": req.history_weight})
    progress(1.0, "done")
    return {"scenario_set_id": stats["scenario_set_id"], "slate_id": req.slate_id, "kernel_stats": stats,
            "warnings": list(stats["warnings"])}


# ---------------------------------------------------------------------------- export


def _portfolio_lineups(ctx: Context, portfolio_id: str) -> tuple[Slate, list[tuple[int, ...]]]:
    pf = ctx.store.get_portfolio(portfolio_id)
    slate = load_slate(ctx, pf["slate_id"])
    return slate, [tuple(slate.index_of(i) for i in ids) for ids in pf["lineups"]]


def export_csv(ctx: Context, portfolio_id: str, site: str | None) -> tuple[str, str]:
    """(file name, CSV text) of the site's upload file for a stored portfolio."""
    from tailrace.export import upload_text

    slate, lineups = _portfolio_lineups(ctx, portfolio_id)
    if site is not None and site != slate.site.key:
        raise InputError(Problem(f"this portfolio was built on a {slate.site.name} slate", field="site",
                                 fix=f"use site={slate.site.key}"))
    return f"{slate.site.key}-upload-{portfolio_id}.csv", upload_text(lineups, slate)


def fill_entries(ctx: Context, portfolio_id: str, data: bytes, filename: str | None) -> tuple[str, str]:
    """(file name, CSV text) of an uploaded DKEntries.csv with its D cells filled from the portfolio."""
    from tailrace.export import fill_dk_entries_text

    slate, lineups = _portfolio_lineups(ctx, portfolio_id)
    label = _display_name(filename, "DKEntries.csv")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return f"filled-{label}", fill_dk_entries_text(text, lineups, slate, source=label)
