"""The cache directory's size bound (sim/cache_prune.py): the LRU rule by hand, the bound's
parsing, real entries made by ``simulate_cached`` evicted oldest first, hits refreshing recency,
temp and foreign files left alone, and ``tailrace cache`` / ``--clear`` end to end."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.errors import InputError
from tailrace.sim import cache_prune as cp
from tailrace.sim.cache import ScenarioCache, simulate_cached
from tailrace.slate import demo_slate

N = 200  # scenarios per set: ~110 kB entries, a quick run


# ----------------------------------------------------------------------------- the rule by hand


def _e(name: str, size: int, mtime: float, kind: str = "scenarios") -> cp.Entry:
    return cp.Entry(Path("/c") / name, kind, size, mtime)


A, B, C, D = _e("a", 100, 1.0), _e("b", 300, 2.0), _e("c", 200, 3.0), _e("d", 50, 4.0, "fits")  # total 650


@pytest.mark.parametrize(("bound", "keep", "expected"), [
    (650, [], []),                      # exactly at the bound: nothing
    (649, [], ["a"]),                   # 550 <= 649
    (400, [], ["a", "b"]),              # 650 -> 550 -> 250
    (250, [], ["a", "b"]),              # 250 <= 250 after a, b
    (249, [], ["a", "b", "c"]),         # 50
    (400, ["/c/a"], ["b"]),             # a kept: 650 - 300 = 350 <= 400
    (100, ["/c/b"], ["a", "c", "d"]),   # b alone (300) exceeds the bound: everything else goes
    (0, [], ["a", "b", "c", "d"]),
    (None, [], []),                     # no bound
])
def test_choose_evictions_by_hand(bound, keep, expected) -> None:
    entries = [D, B, A, C]  # listing order does not matter
    assert [e.path.name for e in cp.choose_evictions(entries, bound, keep)] == expected


def test_ties_go_by_path() -> None:
    x, y = _e("y", 10, 5.0), _e("x", 10, 5.0)
    assert [e.path.name for e in cp.choose_evictions([x, y], 10)] == ["x"]


@pytest.mark.parametrize(("text", "expected"), [
    (None, 2_000_000_000), ("", 2_000_000_000), ("  ", 2_000_000_000), ("123", 123), ("2GB", 2 * 10**9),
    ("2 gb", 2 * 10**9), ("500MB", 500 * 10**6), ("500m", 500 * 10**6), ("1.5GiB", 3 * 2**29), ("4KiB", 4096),
    ("10b", 10), ("0", None), ("0GB", None), ("none", None), ("NONE", None), ("off", None),
])
def test_parse_max_bytes(text, expected) -> None:
    assert cp.parse_max_bytes(text) == expected


@pytest.mark.parametrize("text", ["abc", "-5", "2XB", "1e9", "GB", "2 G B"])
def test_a_bad_bound_names_the_variable_and_the_fix(text) -> None:
    with pytest.raises(InputError) as ei:
        cp.parse_max_bytes(text)
    msg = str(ei.value)
    assert "TAILRACE_CACHE_MAX_BYTES" in msg and repr(text) in msg and "Fix:" in msg and "none" in msg


# ----------------------------------------------------------------------------- the directory


def _hexname(i: int, ext: str) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest() + ext


def test_list_entries_lists_entries_only(tmp_path: Path) -> None:
    (tmp_path / "fits").mkdir()
    (tmp_path / "fields").mkdir()
    (tmp_path / _hexname(1, ".npz")).write_bytes(b"x" * 7)
    (tmp_path / "fits" / _hexname(2, ".json")).write_bytes(b"y" * 3)
    (tmp_path / "fields" / _hexname(3, ".json")).write_bytes(b"z" * 5)
    (tmp_path / f".{_hexname(4, '.npz')}.abc123.tmp").write_bytes(b"t" * 100)  # a write in progress
    (tmp_path / (_hexname(5, "") + ".lock")).write_bytes(b"")
    (tmp_path / "my_results.npz").write_bytes(b"u" * 9)  # a user's file, not an entry
    (tmp_path / _hexname(6, ".json")).write_bytes(b"v")  # a json at the top: not a kind's place
    outside = tmp_path.parent / f"{tmp_path.name}-outside.npz"
    outside.write_bytes(b"o" * 50)
    (tmp_path / _hexname(7, ".npz")).symlink_to(outside)  # a link to a file outside: never listed
    got = {(e.path.relative_to(tmp_path).as_posix(), e.kind, e.size) for e in cp.list_entries(tmp_path)}
    assert got == {(_hexname(1, ".npz"), "scenarios", 7), ("fits/" + _hexname(2, ".json"), "fits", 3),
                   ("fields/" + _hexname(3, ".json"), "fields", 5)}
    assert cp.summarize(cp.list_entries(tmp_path)) == {"scenarios": (1, 7), "fits": (1, 3), "strengths": (0, 0),
                                                       "fields": (1, 5)}
    assert cp.list_entries(tmp_path / "absent") == []
    # a bound of 0 prunes every entry and nothing else
    assert len(cp.prune(tmp_path, 1)) == 3
    left = sorted(p.name for p in tmp_path.rglob("*"))
    assert _hexname(1, ".npz") not in left and "my_results.npz" in left and _hexname(7, ".npz") in left
    assert outside.read_bytes() == b"o" * 50


# ----------------------------------------------------------------------------- real entries


def _strengths(n: int) -> np.ndarray:
    return np.linspace(1.2, -1.2, n)  # given strengths: no fitting, a quick run


def _sim(cache: ScenarioCache, seed: int):
    slate = demo_slate()
    return simulate_cached(slate, N, seed, cache=cache, strengths=_strengths(slate.n))


def _path(cache: ScenarioCache, s) -> Path:
    return cache.path_for(s.meta["cache_key"])


def _age(path: Path, seconds_ago: float) -> None:
    t = time.time() - seconds_ago
    os.utime(path, (t, t))


def test_a_tight_bound_evicts_the_oldest_and_keeps_the_newest(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TAILRACE_CACHE_MAX_BYTES", "none")
    c = ScenarioCache(tmp_path, max_bytes=0)  # disk only: every lookup reads the file
    sets = [_sim(c, seed)[0] for seed in (1, 2, 3)]
    paths = [_path(c, s) for s in sets]
    for i, p in enumerate(paths):
        _age(p, 1000 - 10 * i)  # 1 oldest, 3 newest
    fit = tmp_path / "fits" / _hexname(9, ".json")  # a small entry, older than all: counts, goes first
    fit.parent.mkdir()
    fit.write_text('{"x": 1}\n')
    _age(fit, 5000)
    tmp = tmp_path / f".{paths[0].stem}.zz.tmp"  # another process's write: oldest and huge, never touched
    tmp.write_bytes(b"\0" * 1_000_000)
    _age(tmp, 9000)
    foreign = tmp_path / "keep_me.npz"
    foreign.write_bytes(b"mine")
    _age(foreign, 9000)
    size = max(p.stat().st_size for p in paths)
    assert all(abs(p.stat().st_size - size) < 200 for p in paths)  # same shapes: near equal sizes

    monkeypatch.setenv("TAILRACE_CACHE_MAX_BYTES", str(int(2.5 * size)))
    s4, hit = _sim(c, 4)  # four sets and the fit (> 2.5 sets): the fit, then 1, then 2 go
    assert not hit
    p4 = _path(c, s4)
    left = {p.name for p in tmp_path.glob("*.npz")}
    assert left == {paths[2].name, p4.name, foreign.name}
    assert not fit.exists() and tmp.exists() and foreign.read_bytes() == b"mine"
    assert sum(e.size for e in cp.list_entries(tmp_path)) <= 2.5 * size

    # a bound below one entry: everything but the one just written
    monkeypatch.setenv("TAILRACE_CACHE_MAX_BYTES", "1")
    s5, _ = _sim(c, 5)
    assert [e.path for e in cp.list_entries(tmp_path)] == [_path(c, s5)]
    assert tmp.exists() and foreign.exists()

    # pruning changes no answer: set 1, recomputed, is the same bytes
    again, hit = _sim(c, 1)
    assert not hit and np.array_equal(again.points, sets[0].points) and np.array_equal(again.finish, sets[0].finish)


@pytest.mark.parametrize("layer", ["disk", "memory"])
def test_a_hit_refreshes_recency(tmp_path: Path, monkeypatch, layer: str) -> None:
    monkeypatch.setenv("TAILRACE_CACHE_MAX_BYTES", "none")
    c = ScenarioCache(tmp_path)
    s1, s2 = _sim(c, 1)[0], _sim(c, 2)[0]
    p1, p2 = _path(c, s1), _path(c, s2)
    _age(p1, 2000)
    _age(p2, 1000)  # 1 is the older of the two
    reader = ScenarioCache(tmp_path) if layer == "disk" else c  # a fresh cache reads the file; c has it in memory
    got, hit = _sim(reader, 1)
    assert hit and time.time() - p1.stat().st_atime < 60
    assert abs(p1.stat().st_mtime - (time.time() - 2000)) < 60  # the write's time is kept
    monkeypatch.setenv("TAILRACE_CACHE_MAX_BYTES", str(int(2.5 * p1.stat().st_size)))
    s3, _ = _sim(c, 3)  # three sets > 2.5: the least recently used (2, not 1) goes
    assert p1.exists() and not p2.exists() and _path(c, s3).exists()


def test_a_bad_bound_fails_before_simulating(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TAILRACE_CACHE_MAX_BYTES", "lots")
    c = ScenarioCache(tmp_path)
    calls = []
    with pytest.raises(InputError, match="TAILRACE_CACHE_MAX_BYTES"):
        c.get_or_create(_hexname(1, ""), lambda: calls.append(1))  # type: ignore[arg-type, return-value]
    assert calls == [] and cp.list_entries(tmp_path) == []
    assert ScenarioCache(tmp_path, disk_max_bytes=None).disk_bound() is None  # an explicit bound ignores the env
    with pytest.raises(ValueError):
        ScenarioCache(tmp_path, disk_max_bytes=-1)


# ----------------------------------------------------------------------------- the command


def test_cli_info_and_clear_round_trip(tmp_path: Path, monkeypatch, capsys) -> None:
    d = tmp_path / "cache"
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(d))
    monkeypatch.setenv("TAILRACE_CACHE_MAX_BYTES", "3MB")
    c = ScenarioCache(d)
    paths = [_path(c, _sim(c, seed)[0]) for seed in (1, 2)]
    (d / "strengths").mkdir()
    js = d / "strengths" / _hexname(3, ".json")
    js.write_bytes(b"s" * 1234)
    young_tmp = d / ".x.npz.abc.tmp"
    young_tmp.write_bytes(b"t")
    old_tmp = d / ".y.npz.abc.tmp"
    old_tmp.write_bytes(b"t")
    _age(old_tmp, 2 * 3600)
    foreign = d / "notes.txt"
    foreign.write_text("mine")
    capsys.readouterr()

    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    npz = sum(p.stat().st_size for p in paths)
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}
    assert out.splitlines()[0] == f"directory: {d}"
    assert lines["scenarios"][:2] == ["2", "entries"] and lines["strengths"] == ["1", "entries", "1.2", "kB"]
    assert lines["fits"][0] == "0" and lines["fields"][0] == "0"
    assert lines["total"][:2] == ["3", "entries"]
    assert " ".join(lines["total"][2:]) == f"{(npz + 1234) / 1000:.1f} kB"
    assert out.splitlines()[-1].startswith("bound: 3.0 MB (TAILRACE_CACHE_MAX_BYTES); least recently used")

    assert main(["cache", "--clear"]) == 0
    assert capsys.readouterr().out.startswith(f"cleared {d}: 3 entries")
    assert cp.list_entries(d) == []
    assert foreign.read_text() == "mine" and young_tmp.exists() and not old_tmp.exists()
    assert main(["cache"]) == 0
    totals = [line.split() for line in capsys.readouterr().out.splitlines() if line.split()[0] == "total"]
    assert totals == [["total", "0", "entries", "0", "B"]]


def test_cli_bad_bound_exits_2_naming_the_variable(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("TAILRACE_CACHE_MAX_BYTES", "two gigs")
    assert main(["cache"]) == 2
    err = capsys.readouterr().err
    assert "TAILRACE_CACHE_MAX_BYTES" in err and "'two gigs'" in err and "Fix:" in err and "Traceback" not in err
    assert main(["cache", "--clear", "--prune"]) == 2
