"""ScenarioCache: round trips, LRU by bytes, content keys, damaged files, and real concurrency.

The concurrency tests start real processes (multiprocessing, spawn) sharing one cache
directory. Spawned children import this module, so it imports the simulator (numba) only
inside the tests that need it, keeping the children quick to start.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing as mp
import os
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import tailrace
from tailrace.sim.cache import ScenarioCache, canonical, scenario_key
from tailrace.sim.scenarios import Scenarios
from tailrace.sites import DRAFTKINGS
from tailrace.slate import Driver, Slate

N_DRIVERS = 38


def make_scenarios(seed: int, s: int = 2000, n: int = N_DRIVERS) -> Scenarios:
    """A deterministic scenario set with every outcome array (stands for a simulator run)."""
    g = np.random.default_rng(seed)
    finish = (np.argsort(g.random((s, n)), axis=1) + 1).astype(np.int16)
    return Scenarios(
        points=g.normal(35.0, 12.0, (s, n)).astype(np.float32),
        driver_ids=tuple(str(10_000 + j) for j in range(n)),
        finish=finish,
        laps_led=g.integers(0, 60, (s, n)).astype(np.int16),
        fastest_laps=g.integers(0, 30, (s, n)).astype(np.int16),
        laps_completed=g.integers(100, 268, (s, n)).astype(np.int16),
        dnf=g.random((s, n)) < 0.08,
        meta={"seed": seed, "n_scenarios": s, "track": "Kansas", "params": (1.0, 2.5)},
    )


def digest(s: Scenarios) -> str:
    h = hashlib.sha256()
    for a in (s.points, s.finish, s.laps_led, s.fastest_laps, s.laps_completed, s.dnf):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(json.dumps(list(s.driver_ids)).encode())
    return h.hexdigest()


def entry_bytes(s: Scenarios) -> int:
    names = ("points", "finish", "laps_led", "fastest_laps", "laps_completed", "dnf")
    return sum(getattr(s, f).nbytes for f in names if getattr(s, f) is not None)


def assert_same(a: Scenarios, b: Scenarios) -> None:
    assert a.driver_ids == b.driver_ids
    for name in ("points", "finish", "laps_led", "fastest_laps", "laps_completed", "dnf"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


KEY = "a" * 64


# ----------------------------------------------------------------------------- round trips


def test_round_trip_memory_and_disk(tmp_path: Path) -> None:
    original = make_scenarios(1)
    c = ScenarioCache(tmp_path)
    calls = []

    def compute() -> Scenarios:
        calls.append(1)
        return original

    s1, hit1 = c.get_or_create(KEY, compute)
    s2, hit2 = c.get_or_create(KEY, compute)
    assert (hit1, hit2) == (False, True) and len(calls) == 1
    assert "cache_hit" not in s1.meta and "cache_hit" not in s2.meta  # the hit is the tuple's, not the set's
    assert s1.meta["cache_key"] == s2.meta["cache_key"] == KEY
    assert_same(s2, original)
    with pytest.raises(ValueError):  # handed-out arrays are read-only: nobody corrupts the cache
        s2.points[0, 0] = 1.0

    fresh = ScenarioCache(tmp_path)  # a new object: must come from disk
    s3 = fresh.get(KEY)
    assert s3 is not None
    assert_same(s3, original)
    # meta survives as JSON (the tuple becomes a list), minus the per-lookup fields
    assert s3.meta["params"] == [1.0, 2.5] and s3.meta["seed"] == 1
    st = fresh.stats()
    assert (st["hits"], st["misses"], st["disk_hits"], st["memory_hits"]) == (1, 0, 1, 0)
    # 2000 x 38 cells x (4 points + 4 * 2 int16 outcomes + 1 dnf) bytes
    assert st["entries"] == 1 and st["bytes"] == entry_bytes(original) == 2000 * 38 * 13
    assert st["disk_entries"] == 1
    assert st["disk_bytes"] == (tmp_path / f"{KEY}.npz").stat().st_size
    # one data file and no temp files left behind (lock files are filelock's business)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == [f"{KEY}.npz"]

    st1 = c.stats()
    assert (st1["hits"], st1["misses"], st1["hit_rate"]) == (1, 1, 0.5)


def test_points_only_scenarios_round_trip(tmp_path: Path) -> None:
    s = Scenarios(points=np.arange(12, dtype=np.float32).reshape(3, 4), driver_ids=("a", "b", "c", "d"))
    ScenarioCache(tmp_path).put(KEY, s)
    back = ScenarioCache(tmp_path).get(KEY)
    assert back is not None and not back.has_outcomes
    np.testing.assert_array_equal(back.points, s.points)


def test_cache_file_is_a_valid_scenario_file(tmp_path: Path) -> None:
    from tailrace.sim.io import load_scenarios

    s = make_scenarios(2, s=100)
    ScenarioCache(tmp_path).put(KEY, s)
    assert_same(load_scenarios(tmp_path / f"{KEY}.npz"), s)


def test_get_miss_counts_and_clear(tmp_path: Path) -> None:
    c = ScenarioCache(tmp_path)
    assert c.get(KEY) is None
    c.put(KEY, make_scenarios(3, s=10))
    assert c.get(KEY) is not None
    st = c.stats()
    assert (st["hits"], st["misses"]) == (1, 1)
    c.clear()
    st = c.stats()
    assert (st["entries"], st["bytes"], st["disk_entries"], st["disk_bytes"]) == (0, 0, 0, 0)
    assert c.get(KEY) is None and ScenarioCache(tmp_path).get(KEY) is None


def test_clear_deletes_scenario_sets_only(tmp_path: Path) -> None:
    """A user's own files in the cache folder survive ``clear``: a ``sims.npz`` written there by
    ``simulate --out``, a fits entry of another kind, a fresh temp file (a write in progress) and
    a lock; a scenario set and a temp file two hours old go."""
    c = ScenarioCache(tmp_path)
    c.put(KEY, make_scenarios(3, s=10))
    mine = tmp_path / "sims.npz"
    mine.write_bytes(b"user data")
    (tmp_path / "fits").mkdir()
    fit = tmp_path / "fits" / ("a" * 64 + ".json")
    fit.write_text("{}")
    live, stale, lock = tmp_path / ".x.npz.live.tmp", tmp_path / ".y.npz.old.tmp", tmp_path / f"{KEY}.lock"
    for p in (live, stale, lock):
        p.write_bytes(b"")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    c.clear()
    assert not (tmp_path / f"{KEY}.npz").exists() and not stale.exists()
    assert mine.read_bytes() == b"user data" and fit.exists() and live.exists() and lock.exists()


def test_default_directory_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "envcache"))
    assert ScenarioCache().directory == tmp_path / "envcache"
    from tailrace.sim.cache import default_cache

    assert default_cache() is default_cache() and default_cache().directory == tmp_path / "envcache"
    monkeypatch.delenv("TAILRACE_CACHE_DIR")
    assert ScenarioCache().directory == Path.home() / ".cache" / "tailrace" / "scenarios"


def test_bad_keys_and_bad_compute(tmp_path: Path) -> None:
    c = ScenarioCache(tmp_path)
    for bad in ("../../etc/passwd", "short", "a" * 200, "x y" * 10, ""):
        with pytest.raises(ValueError):
            c.get(bad)
    with pytest.raises(TypeError):
        c.get_or_create(KEY, lambda: np.zeros((3, 3)))  # type: ignore[arg-type, return-value]
    assert c.get(KEY) is None


def test_unwritable_directory_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache directory should be")
    c = ScenarioCache(blocker)
    s, hit = c.get_or_create(KEY, lambda: make_scenarios(4, s=10))
    assert not hit
    s2, hit2 = c.get_or_create(KEY, lambda: make_scenarios(99, s=10))
    assert hit2 and digest(s2) == digest(make_scenarios(4, s=10))
    assert c.stats()["disk_errors"] >= 1


# ----------------------------------------------------------------------------- LRU by bytes


def test_lru_eviction_by_bytes() -> None:
    def small(seed: int) -> Scenarios:  # 100 x 4 float32 = 1,600 bytes, points only
        return Scenarios(points=np.full((100, 4), seed, np.float32), driver_ids=("1", "2", "3", "4"))

    c = ScenarioCache(disk=False, max_bytes=2 * 1600 + 100)
    c.put("k" * 10, small(1))
    c.put("l" * 10, small(2))
    assert c.get("k" * 10) is not None  # touch k: l is now least recently used
    c.put("m" * 10, small(3))
    st = c.stats()
    assert (st["entries"], st["bytes"]) == (2, 3200)
    assert c.get("l" * 10) is None  # evicted
    assert c.get("k" * 10).points[0, 0] == 1 and c.get("m" * 10).points[0, 0] == 3
    # an entry bigger than the whole budget is not kept in memory at all
    c.put("n" * 10, Scenarios(points=np.zeros((1000, 4), np.float32), driver_ids=("1", "2", "3", "4")))
    assert c.get("n" * 10) is None and c.stats()["bytes"] == 3200
    # re-putting a key replaces its bytes rather than adding to them
    c.put("k" * 10, small(5))
    assert c.stats()["bytes"] == 3200 and c.get("k" * 10).points[0, 0] == 5


def test_evicted_entry_still_served_from_disk(tmp_path: Path) -> None:
    a, b = make_scenarios(5, s=500), make_scenarios(6, s=500)
    c = ScenarioCache(tmp_path, max_bytes=int(1.5 * entry_bytes(a)))  # room for one entry
    c.put("a" * 64, a)
    c.put("b" * 64, b)
    assert c.stats()["entries"] == 1
    back = c.get("a" * 64)
    assert back is not None and digest(back) == digest(a)
    assert c.stats()["disk_hits"] == 1


# ----------------------------------------------------------------------------- keys


def _slate(salary0: int = 10_000, track: str = "Kansas", source: dict | None = None) -> Slate:
    drivers = tuple(
        Driver(id=str(100 + j), name=f"Driver {j}", salary=salary0 - 100 * j, start=j + 1)
        for j in range(5)
    )
    return Slate(site=DRAFTKINGS, drivers=drivers, track=track, source=source or {"salaries": "a.csv"})


def _parts(**over: object) -> dict:
    parts = {
        "slate": _slate(),
        "strengths": np.array([0.5, 0.1, -0.2, 0.0, 0.3]),
        "params": {"dnf_rate": 0.05, "noise": 1.0, "track_type": "intermediate"},
        "n_scenarios": 10_000,
        "seed": 7,
    }
    parts.update(over)
    return parts


def test_key_is_documented_canonical_json() -> None:
    from tailrace.sim import simulate as sim_simulate

    # sha256 of {"format":1,"model":race.MODEL_VERSION,"parts":{...},"tailrace":__version__},
    # sorted keys, no spaces: worked out here by hand, not through the module's helpers.
    text = (
        '{"format":1,"model":"' + sim_simulate.MODEL_VERSION + '","parts":{"n_scenarios":10,"seed":7},'
        '"tailrace":"' + tailrace.__version__ + '"}'
    )
    assert scenario_key(seed=7, n_scenarios=10) == hashlib.sha256(text.encode()).hexdigest()
    # an int64 array: dtype string, shape and the sha256 of its little-endian bytes
    arr = canonical(np.array([1, 2], dtype="<i8"))
    assert arr == {"__ndarray__": "<i8", "shape": [2], "sha256": hashlib.sha256(struct.pack("<2q", 1, 2)).hexdigest()}


def test_key_stable_for_equal_content() -> None:
    k = scenario_key(**_parts())
    same = _parts(
        slate=_slate(source={"salaries": "/elsewhere/b.csv"}),  # where it was read from: irrelevant
        strengths=np.array([0.5, 0.1, -0.2, 0.0, 0.3]).copy(),
        params={"track_type": "intermediate", "noise": 1.0, "dnf_rate": 0.05},  # order irrelevant
    )
    assert scenario_key(**same) == k
    strided = np.array([0.5, 9.0, 0.1, 9.0, -0.2, 9.0, 0.0, 9.0, 0.3, 9.0])[::2]  # non-contiguous view
    assert scenario_key(**_parts(strengths=strided)) == k
    assert scenario_key(**_parts(seed=np.int64(7))) == k
    assert len(k) == 64 and int(k, 16) >= 0


def test_key_changes_with_every_part(monkeypatch: pytest.MonkeyPatch) -> None:
    from tailrace.sim import version as sim_version

    base = scenario_key(**_parts())
    s = np.array([0.5, 0.1, -0.2, 0.0, 0.3])
    bumped = s.copy()
    bumped[2] = np.nextafter(bumped[2], 1.0)  # one ulp
    variants = {
        "seed": _parts(seed=8),
        "count": _parts(n_scenarios=10_001),
        "strength ulp": _parts(strengths=bumped),
        "strength dtype": _parts(strengths=s.astype(np.float32)),
        "strength shape": _parts(strengths=s.reshape(5, 1)),
        "param value": _parts(params={"dnf_rate": 0.06, "noise": 1.0, "track_type": "intermediate"}),
        "param added": _parts(params={"dnf_rate": 0.05, "noise": 1.0, "track_type": "intermediate", "x": 0}),
        "slate salary": _parts(slate=_slate(salary0=10_100)),
        "slate track": _parts(slate=_slate(track="Texas")),
        "extra part": {**_parts(), "outcomes": True},
    }
    keys = {name: scenario_key(**p) for name, p in variants.items()}
    assert base not in keys.values()
    assert len(set(keys.values())) == len(keys)

    monkeypatch.setattr(tailrace, "__version__", "9.9.9")
    assert scenario_key(**_parts()) != base
    monkeypatch.undo()
    monkeypatch.setattr(sim_version, "MODEL_VERSION", "race-model-999")  # the one source of the version
    assert scenario_key(**_parts()) != base
    monkeypatch.undo()
    assert scenario_key(**_parts()) == base


def test_key_same_in_another_process() -> None:
    code = (
        "import numpy as np; from tailrace.sim.cache import scenario_key;"
        "print(scenario_key(strengths=np.arange(5.0), params={'b': 1, 'a': [1, 2]}, seed=3, n=10))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == scenario_key(strengths=np.arange(5.0), params={"a": [1, 2], "b": 1}, seed=3, n=10)


def test_unkeyable_values_raise() -> None:
    with pytest.raises(TypeError):
        scenario_key(f=lambda: 1)
    with pytest.raises(TypeError):
        scenario_key(a=np.array([object()]))
    with pytest.raises(TypeError):
        scenario_key(o=object())


# ----------------------------------------------------------------------------- damaged files


def _truncate(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


def _flip_middle_byte(p: Path) -> None:
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF  # lands inside an array's data: only the CRC can tell
    p.write_bytes(bytes(data))


def _garbage(p: Path) -> None:
    p.write_bytes(os.urandom(5000))


def _empty(p: Path) -> None:
    p.write_bytes(b"")


@pytest.mark.parametrize("damage", [_truncate, _flip_middle_byte, _garbage, _empty])
def test_damaged_file_is_a_miss_and_is_replaced(tmp_path: Path, damage) -> None:
    good = make_scenarios(7, s=3000)
    ScenarioCache(tmp_path).put(KEY, good)
    path = tmp_path / f"{KEY}.npz"
    damage(path)

    c = ScenarioCache(tmp_path)
    assert c.get(KEY) is None  # no crash
    assert c.stats()["corrupt"] == 1 and c.stats()["misses"] == 1
    s, hit = c.get_or_create(KEY, lambda: make_scenarios(7, s=3000))
    assert not hit and digest(s) == digest(good)
    again = ScenarioCache(tmp_path).get(KEY)  # the file was replaced by a good one
    assert again is not None and digest(again) == digest(good)


def test_file_of_another_key_is_a_miss(tmp_path: Path) -> None:
    other = "b" * 64
    ScenarioCache(tmp_path).put(other, make_scenarios(8, s=50))
    os.replace(tmp_path / f"{other}.npz", tmp_path / f"{KEY}.npz")  # misplaced file
    c = ScenarioCache(tmp_path)
    assert c.get(KEY) is None and c.stats()["corrupt"] == 1


# ----------------------------------------------------------------------------- concurrency


def _compute_once_worker(directory: str, key: str, calls: str, barrier, queue) -> None:
    """Child process: get_or_create with a slow compute that records each call in a file."""
    cache = ScenarioCache(directory)

    def compute() -> Scenarios:
        with open(calls, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(0.6)  # hold the window open so the others really arrive mid-computation
        return make_scenarios(11, s=20_000)

    barrier.wait()
    s, hit = cache.get_or_create(key, compute)
    queue.put((os.getpid(), hit, digest(s)))


def test_processes_compute_a_key_once(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    n = 4
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    calls = tmp_path / "calls.txt"
    args = (str(tmp_path / "cache"), KEY, str(calls), barrier, queue)
    procs = [ctx.Process(target=_compute_once_worker, args=args) for _ in range(n)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in range(n)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert len(calls.read_text().splitlines()) == 1  # computed exactly once
    assert sorted(hit for _, hit, _ in results) == [False, True, True, True]
    assert {d for _, _, d in results} == {digest(make_scenarios(11, s=20_000))}


@pytest.mark.parametrize("disk", [True, False])
def test_threads_compute_a_key_once(tmp_path: Path, disk: bool) -> None:
    c = ScenarioCache(tmp_path, disk=disk)
    calls: list[int] = []
    out: list[tuple[str, bool]] = []
    start = threading.Barrier(4)

    def compute() -> Scenarios:
        calls.append(1)
        time.sleep(0.3)
        return make_scenarios(12, s=500)

    def run() -> None:
        start.wait()
        s, hit = c.get_or_create(KEY, compute)
        out.append((digest(s), hit))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(calls) == 1
    assert len({d for d, _ in out}) == 1 and sorted(h for _, h in out) == [False, True, True, True]


S_RW, N_RW = 20_000, N_DRIVERS


def _version(v: int) -> Scenarios:
    """Version v of one key's content: every cell tells which version it belongs to."""
    base = (np.arange(S_RW * N_RW, dtype=np.int64).reshape(S_RW, N_RW) % 997).astype(np.float32)
    return Scenarios(
        points=base + np.float32(v),
        driver_ids=tuple(str(j) for j in range(N_RW)),
        finish=np.full((S_RW, N_RW), v, np.int16),
        meta={"version": v},
    )


def _writer(directory: str, key: str, versions: int, barrier, done) -> None:
    cache = ScenarioCache(directory, max_bytes=0)
    barrier.wait()
    for v in range(versions):
        cache.put(key, _version(v))
    done.set()


def _reader(directory: str, key: str, barrier, done, queue) -> None:
    """Poll the key while the writer rewrites it; check every read is one whole version."""
    cache = ScenarioCache(directory, max_bytes=0)  # no memory layer: every get reads the file
    path = Path(directory) / f"{key}.npz"
    base = (np.arange(S_RW * N_RW, dtype=np.int64).reshape(S_RW, N_RW) % 997).astype(np.float32)
    reads = bad = gaps = 0
    seen = False
    barrier.wait()
    i = 0
    while True:
        finished = done.is_set()
        i += 1
        try:
            if i % 2:
                s = cache.get(key)
                pts, fin, v = (None, None, None) if s is None else (s.points, s.finish, s.meta["version"])
            else:  # a plain numpy reader, as any other program would read the file
                with np.load(path, allow_pickle=False) as z:
                    pts, fin = z["points"], z["finish"]
                    v = json.loads(str(z["meta_json"]))["version"]
        except FileNotFoundError:
            pts = None
        except Exception:
            bad += 1
            pts = None
        if pts is None:
            gaps += seen  # once the file exists it must never be missing
        else:
            seen = True
            reads += 1
            if not (np.array_equal(pts, base + np.float32(v)) and (fin == v).all()):
                bad += 1
        if finished:
            break
    queue.put((reads, bad, gaps, cache.stats()["corrupt"]))


def test_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    n_readers = 2
    barrier, done, queue = ctx.Barrier(n_readers + 1), ctx.Event(), ctx.Queue()
    d = str(tmp_path / "cache")
    ScenarioCache(d).put(KEY, _version(0))
    readers = [ctx.Process(target=_reader, args=(d, KEY, barrier, done, queue)) for _ in range(n_readers)]
    writer = ctx.Process(target=_writer, args=(d, KEY, 25, barrier, done))
    for p in (*readers, writer):
        p.start()
    results = [queue.get(timeout=180) for _ in range(n_readers)]
    for p in (*readers, writer):
        p.join(timeout=60)
        assert p.exitcode == 0
    for reads, bad, gaps, corrupt in results:
        assert (bad, gaps, corrupt) == (0, 0, 0)  # no torn read, no moment without the file
        assert reads >= 5  # the readers really overlapped the writer
    final = ScenarioCache(d).get(KEY)
    assert final is not None and final.meta["version"] == 24
    assert not [p for p in Path(d).iterdir() if p.name.endswith(".tmp")]


def test_returned_meta_names_key_without_touching_cached_copy(tmp_path: Path) -> None:
    c = ScenarioCache(tmp_path)
    s1 = c.put(KEY, make_scenarios(13, s=10))
    s2 = c.get(KEY)
    assert s1.meta == s2.meta  # the same on a first lookup and a later one: no per-lookup flag
    assert s2.meta["cache_key"] == KEY and "cache_hit" not in s2.meta
    assert "cache_key" not in dataclasses.asdict(c._mem[KEY][0])["meta"]


@pytest.mark.slow  # the simulator's first call compiles its numba kernel on a fresh clone
def test_simulate_cached_equals_simulate(tmp_path: Path) -> None:
    from tailrace.sim import simulate as sim_simulate
    from tailrace.sim.cache import simulate_cached
    from tailrace.sim.simulate import simulate
    from tailrace.slate import demo_slate

    slate = demo_slate()
    strengths = np.linspace(1.2, -1.2, slate.n)  # given strengths: no fitting, a quick run
    direct = simulate(slate, 3000, 5, strengths=strengths)
    c = ScenarioCache(tmp_path)
    s1, hit1 = simulate_cached(slate, 3000, 5, cache=c, strengths=strengths)
    s2, hit2 = simulate_cached(slate, 3000, 5, cache=ScenarioCache(tmp_path), strengths=strengths)
    s3, hit3 = simulate_cached(slate, 3000, 6, cache=c, strengths=strengths)  # another seed
    assert (hit1, hit2, hit3) == (False, True, False)
    assert digest(s1) == digest(s2) == digest(direct) != digest(s3)
    assert s2.meta["seed"] == 5 and s2.meta["model"] == sim_simulate.MODEL_VERSION


def test_a_hit_loads_no_simulator(tmp_path) -> None:
    """A cache hit reads the entry without importing the race kernels (numba, scipy): the key
    needs only ``sim.version``, and the simulator is imported on a miss only. Checked in a fresh
    process after another filled the entry."""
    code = (
        "import sys; from tailrace.slate import demo_slate; from tailrace.sim.cache import simulate_cached;"
        "s, hit = simulate_cached(demo_slate(), 200, 3);"
        "print(hit, 'tailrace.sim.race' in sys.modules, 'tailrace.sim.simulate' in sys.modules)"
    )
    env = {**os.environ, "TAILRACE_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split() == ["False", "True", "True"]  # a miss simulates
    again = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert again.stdout.split() == ["True", "False", "False"]
