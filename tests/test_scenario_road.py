"""One road to the scenarios (issue 27, item 1): the CLI and the API reach the same cache entry for
the same inputs, whichever asks first, and a history or given strengths key a set of their own.

Every check counts the cache directory's files itself (``os.scandir``), never through the cache's
own statistics, and compares the API's per-driver means with the points the CLI wrote.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tailrace.cli import main

DEMO = Path(__file__).resolve().parents[1] / "src" / "tailrace" / "data" / "demo"
N, SEED = 600, 5


def _entries(cache_dir: Path) -> list[os.DirEntry]:
    """The cache's entries on disk: its ``*.npz`` files, listed without the cache's help."""
    if not cache_dir.is_dir():
        return []
    return sorted((e for e in os.scandir(cache_dir) if e.name.endswith(".npz")), key=lambda e: e.name)


def _cli_simulate(out: Path, *extra: str) -> np.ndarray:
    args = ["simulate", "--site", "dk", "--salaries", str(DEMO / "dk_salaries.csv"), "--projections",
            str(DEMO / "projections.csv"), "--scenarios", str(N), "--seed", str(SEED), "--out", str(out), *extra]
    assert main(args) == 0
    with np.load(out, allow_pickle=False) as z:
        return np.array(z["points"])


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The API's data dir; the CLI's TAILRACE_CACHE_DIR is the API's cache dir under it."""
    from tailrace.api.settings import Settings

    d = tmp_path / "data"
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(Settings(data_dir=d).cache_dir))
    return d


@pytest.fixture()
def api(data_dir: Path) -> Iterator[object]:
    from fastapi.testclient import TestClient

    from tailrace.api.app import create_app
    from tailrace.api.settings import Settings

    with TestClient(create_app(Settings(data_dir=data_dir, sync_time_limit=600))) as c:
        yield c


def _slate_id(api) -> str:
    r = api.post("/slates", data={"site": "dk"},
                 files={"salaries": ("dk_salaries.csv", (DEMO / "dk_salaries.csv").read_bytes()),
                        "projections": ("projections.csv", (DEMO / "projections.csv").read_bytes())})
    assert r.status_code == 201, r.text
    return r.json()["slate_id"]


def _history_id(api) -> str:
    r = api.post("/histories", files={"history": ("history.csv", (DEMO / "history.csv").read_bytes())})
    assert r.status_code == 201, r.text
    return r.json()["history_id"]


def _api_simulate(api, **body) -> dict:
    r = api.post("/simulate", json={"n_scenarios": N, "seed": SEED, **body})
    assert r.status_code == 200, r.text
    return r.json()["kernel_stats"]


def _meta(path: str | Path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z["meta_json"]))


def _read_from(cli_file: Path, entry: os.DirEntry) -> bool:
    """Whether the CLI wrote the set it read from the cache entry: its meta is the entry's, down to
    the simulation's own wall-clock ``seconds`` (a fresh simulation times itself anew)."""
    got, stored = _meta(cli_file), _meta(entry.path)
    return got == stored and isinstance(got.get("seconds"), float)


def _means(points: np.ndarray) -> list[float]:
    return np.asarray(points, dtype=np.float64).mean(axis=0).tolist()


def test_cli_first_then_api_hits_the_same_entry(api, data_dir: Path, tmp_path: Path) -> None:
    cache_dir = data_dir / "scenario-cache"
    pts = _cli_simulate(tmp_path / "cli.npz")
    assert len(_entries(cache_dir)) == 1  # the CLI's simulation is in the API's cache dir
    ks = _api_simulate(api, slate_id=_slate_id(api))
    assert ks["cache_hit"] is True
    assert len(_entries(cache_dir)) == 1
    assert [d["mean"] for d in ks["drivers"]] == _means(pts)
    assert ks["scenario_set_id"] == "ss_" + _entries(cache_dir)[0].name[:20]  # the store's id: the same key


def test_api_first_then_cli_reads_the_api_entry(api, data_dir: Path, tmp_path: Path) -> None:
    cache_dir = data_dir / "scenario-cache"
    ks = _api_simulate(api, slate_id=_slate_id(api))
    assert ks["cache_hit"] is False
    (entry,) = _entries(cache_dir)
    before = entry.stat()
    pts = _cli_simulate(tmp_path / "cli.npz")
    (after,) = _entries(cache_dir)
    # a miss would have computed and published a new file (os.replace: a new inode)
    assert after.name == entry.name
    assert (after.stat().st_ino, after.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert _read_from(tmp_path / "cli.npz", after)
    assert [d["mean"] for d in ks["drivers"]] == _means(pts)


def test_history_and_strengths_key_their_own_sets(api, data_dir: Path, tmp_path: Path) -> None:
    cache_dir = data_dir / "scenario-cache"
    sid, hid = _slate_id(api), _history_id(api)
    plain = _api_simulate(api, slate_id=sid)
    strengths = [round(1.5 - 0.08 * i, 6) for i in range(len(plain["drivers"]))]
    given = _api_simulate(api, slate_id=sid, strengths=strengths)
    with_hist = _api_simulate(api, slate_id=sid, history_id=hid)
    ids = {plain["scenario_set_id"], given["scenario_set_id"], with_hist["scenario_set_id"]}
    assert len(ids) == 3 and not (plain["cache_hit"] or given["cache_hit"] or with_hist["cache_hit"])
    assert len(_entries(cache_dir)) == 3
    assert with_hist["history"] is not None and plain["history"] is None
    # the CLI with the same history file reaches the API's history entry, not a fourth one
    hist_entries = {e.name: e for e in _entries(cache_dir)}
    pts = _cli_simulate(tmp_path / "hist.npz", "--history", str(DEMO / "history.csv"))
    assert len(_entries(cache_dir)) == 3
    assert any(_read_from(tmp_path / "hist.npz", e) for e in hist_entries.values())
    assert [d["mean"] for d in with_hist["drivers"]] == _means(pts)
    assert _means(pts) != [d["mean"] for d in plain["drivers"]]


def test_simulate_file_is_the_same_on_a_hit(data_dir: Path, tmp_path: Path) -> None:
    """`tailrace simulate --out` writes the same arrays and meta on a miss and a hit."""
    first = _cli_simulate(tmp_path / "a.npz")
    second = _cli_simulate(tmp_path / "b.npz")
    assert len(_entries(data_dir / "scenario-cache")) == 1
    assert first.tobytes() == second.tobytes()
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        assert a.files == b.files and "cache_key" not in a.files
        ma, mb = json.loads(str(a["meta_json"])), json.loads(str(b["meta_json"]))
        assert "cache_key" not in ma and "cache_hit" not in ma and ma == mb  # a hit keeps the first run's meta
        for k in a.files:
            assert a[k].tobytes() == b[k].tobytes(), k


def test_the_key_holds_what_decides_the_numbers() -> None:
    """``simulation_key``: a history (its content key and weight), strengths and allow_shift each
    change it; where the set came from (the slate's source) does not."""
    from dataclasses import replace

    from tailrace.sim.keys import simulation_key
    from tailrace.slate import demo_slate

    class Hist:  # only the history's content key enters the key
        def __init__(self, key: str) -> None:
            self.key = key

    slate = demo_slate()
    plain = simulation_key(slate, N, SEED)
    s = np.linspace(1.0, -1.0, slate.n)
    keys = [plain, simulation_key(slate, N, SEED, strengths=s), simulation_key(slate, N, SEED, strengths=s * 2),
            simulation_key(slate, N, SEED, history=Hist("h1")), simulation_key(slate, N, SEED, history=Hist("h2")),
            simulation_key(slate, N, SEED, history=Hist("h1"), history_weight=0.3),
            simulation_key(slate, N, SEED, allow_shift=True), simulation_key(slate, N + 1, SEED),
            simulation_key(slate, N, SEED + 1), simulation_key(slate, N, SEED, track="short")]
    assert len(set(keys)) == len(keys)
    assert simulation_key(replace(slate, source={"json": "request body"}), N, SEED) == plain
    assert simulation_key(slate, N, SEED, strengths=list(s)) == keys[1]  # a list or an array: one key
