"""The calibrated field sampler's weights cached on disk by content (contest/field_cache.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tailrace.contest import field, field_cache
from tailrace.contest.field import sample_field
from tailrace.contest.ownership import model_ownership
from tailrace.errors import InputError
from tailrace.slate import demo_slate

SLATE = demo_slate()
SAL = np.array([d.salary for d in SLATE.drivers])
PROJ = np.array([d.projection for d in SLATE.drivers], dtype=float)
OWN = model_ownership(SAL, PROJ, 6)
N = 600  # entries: the pilot is clamped to 4,000 lineups a round


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A fresh TAILRACE_CACHE_DIR; returns where the field weights go."""
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path))
    return tmp_path / "fields"


@pytest.fixture
def draws(monkeypatch) -> list[int]:
    """Counts the sampler's batches of draws (the real ``_draw`` runs; only its calls are counted)."""
    calls: list[int] = []
    real = field._draw

    def counted(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(field, "_draw", counted)
    return calls


def _uncached(monkeypatch) -> None:
    """The sampler as it was before the cache: every call calibrates."""
    monkeypatch.setattr(field, "calibrated_weights", lambda calibrate, g, **_: calibrate())


def _after(g: np.random.Generator) -> bytes:
    """What the generator draws next (a hit must leave it where the pilot rounds would)."""
    return g.integers(0, 1 << 62, size=8).tobytes()


def test_uncached_field_and_generator_equal_the_cached_ones(cache_dir, monkeypatch) -> None:
    with monkeypatch.context() as m:
        _uncached(m)
        g = np.random.default_rng(17)
        ref = sample_field(OWN, SAL, 6, 50_000, N, rng=g)
        ref_next = _after(g)
        assert not cache_dir.exists()
    for _ in range(2):  # a miss that writes the entry, then a hit that reads it
        g = np.random.default_rng(17)
        f = sample_field(OWN, SAL, 6, 50_000, N, rng=g)
        assert f.lineups.tobytes() == ref.lineups.tobytes()
        assert f.model == ref.model
        assert _after(g) == ref_next
    assert len(list(cache_dir.glob("*.json"))) == 1


def test_second_run_skips_the_pilot_rounds(cache_dir, draws) -> None:
    first = sample_field(OWN, SAL, 6, 50_000, N, rng=3)
    # a miss: two batches (strict, loose) per pilot round, at least two rounds, then the field's two
    assert len(draws) >= 6 and len(draws) % 2 == 0
    draws.clear()
    again = sample_field(OWN, SAL, 6, 50_000, N, rng=3)
    assert len(draws) == 2  # the field only
    assert np.array_equal(again.lineups, first.lineups)
    assert len(list(cache_dir.glob("*.json"))) == 1


def test_changed_inputs_miss(cache_dir, draws) -> None:
    sample_field(OWN, SAL, 6, 50_000, N, rng=3)
    other_own = OWN.copy()
    other_own[[0, 1]] = other_own[[1, 0]]
    sal2 = SAL.copy()
    sal2[-1] += 100
    for kw in ({"rng": 4}, {"n_entries": 3_000}, {"ownership": other_own}, {"salaries": sal2},
               {"calibration_rounds": 5}, {"strict_share": 0.5}, {"min_salary": 47_000}):
        args = {"ownership": OWN, "salaries": SAL, "n_entries": N, "rng": 3} | kw
        draws.clear()
        sample_field(args.pop("ownership"), args.pop("salaries"), 6, 50_000, args.pop("n_entries"), **args)
        assert len(draws) > 2, kw  # calibrated again
    assert len(list(cache_dir.glob("*.json"))) == 8


def test_field_sizes_sharing_a_pilot_share_the_entry(cache_dir, draws) -> None:
    # the pilot is max(4,000, 2 x entries) capped at 20,000: 600 and 1,500 entries both calibrate on 4,000
    a = sample_field(OWN, SAL, 6, 50_000, 600, rng=8)
    draws.clear()
    b = sample_field(OWN, SAL, 6, 50_000, 1_500, rng=8)
    assert len(draws) == 2
    assert len(list(cache_dir.glob("*.json"))) == 1
    assert a.n_entries == 600 and b.n_entries == 1_500


def test_corrupt_or_foreign_entry_is_recomputed(cache_dir, monkeypatch, draws) -> None:
    with monkeypatch.context() as m:
        _uncached(m)
        ref = sample_field(OWN, SAL, 6, 50_000, N, rng=5).lineups
    sample_field(OWN, SAL, 6, 50_000, N, rng=5)
    (path,) = cache_dir.glob("*.json")
    good = json.loads(path.read_text())
    bad_docs = [
        "{not json",
        json.dumps(good | {"key": "0" * 64}),  # another entry's content under this name
        json.dumps(good | {"logw": good["logw"][:-1]}),  # wrong length
        json.dumps({k: v for k, v in good.items() if k != "state"}),  # missing field
        json.dumps(good | {"state": good["state"] | {"bit_generator": "SFC64"}}),  # other generator
    ]
    for text in bad_docs:
        path.write_text(text)
        draws.clear()
        f = sample_field(OWN, SAL, 6, 50_000, N, rng=5)
        assert len(draws) > 2  # calibrated again, no traceback
        assert np.array_equal(f.lineups, ref)
        assert json.loads(path.read_text()) == good  # rewritten whole


def test_sharp_field_and_ensemble_unchanged_by_the_cache(cache_dir, monkeypatch) -> None:
    from tailrace.contest.ensemble import field_ensemble

    def run() -> list[bytes]:
        out = [sample_field(OWN, SAL, 6, 50_000, N, rng=2, sharpness=0.3, projections=PROJ).lineups.tobytes()]
        out += [m.lineups.tobytes() for m in field_ensemble(OWN, SAL, 6, 50_000, N, rng=9, projections=PROJ)]
        return out

    with monkeypatch.context() as m:
        _uncached(m)
        ref = run()
    assert run() == ref  # misses
    n_files = len(list(cache_dir.glob("*.json")))
    assert n_files >= 3  # the sharp field's rest and the ensemble's calibrated members
    assert run() == ref  # hits
    assert len(list(cache_dir.glob("*.json"))) == n_files


def test_unreachable_ownership_is_an_error_and_not_cached(cache_dir) -> None:
    own = np.zeros_like(OWN)
    own[np.argsort(SAL)[:6]] = 100.0  # only the six cheapest drivers: no lineup reaches 96 % of the cap
    with pytest.raises(InputError, match="could not draw a field"):
        sample_field(own, SAL, 6, 50_000, N, rng=1)
    assert not cache_dir.exists() or not list(cache_dir.glob("*.json"))


def test_unwritable_cache_still_samples(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(blocker))
    with monkeypatch.context() as m:
        _uncached(m)
        ref = sample_field(OWN, SAL, 6, 50_000, N, rng=6).lineups
    assert np.array_equal(sample_field(OWN, SAL, 6, 50_000, N, rng=6).lineups, ref)


def test_key_follows_the_generator_state_not_its_object() -> None:
    parts = dict(target=OWN / 100, salaries=SAL, roster_size=6, salary_cap=50_000, lo=48_000, lo2=45_000,
                 strict_share=0.9, rounds=12, pilot=4_000)
    k1 = field_cache.weights_key(**parts, state=np.random.default_rng(1).bit_generator.state)
    k2 = field_cache.weights_key(**parts, state=np.random.default_rng(1).bit_generator.state)
    g = np.random.default_rng(1)
    g.random()
    k3 = field_cache.weights_key(**parts, state=g.bit_generator.state)
    assert k1 == k2 and k1 != k3


def test_content_key_is_the_documented_json_without_the_model() -> None:
    import hashlib

    import tailrace
    from tailrace.sim.keys import content_key

    # sha256 of {"format":1,"parts":{...},"tailrace":__version__}, sorted keys, no spaces: by hand
    text = '{"format":1,"parts":{"a":[1,2.5],"kind":"x"},"tailrace":"' + tailrace.__version__ + '"}'
    assert content_key(kind="x", a=(1, 2.5)) == hashlib.sha256(text.encode()).hexdigest()


def test_keying_a_field_loads_no_simulator() -> None:
    """A contest on scenarios from a file never loaded the race model (numba kernels, scipy.special):
    keying its field must not either."""
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "from tailrace.contest.field_cache import weights_key\n"
            "weights_key(np.ones(3) / 3, np.arange(3), 2, 10, 5, 4, 0.9, 12, 4000,"
            " np.random.default_rng(0).bit_generator.state)\n"
            "print(sorted(m for m in ('tailrace.sim.race', 'tailrace.sim.params', 'scipy.special') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
