"""``contest.field.unique_rows`` (``Field.unique``): the same arrays as ``numpy.unique(axis=0)``."""

from __future__ import annotations

import numpy as np
import pytest

from tailrace.contest.field import Field, unique_rows


@pytest.mark.parametrize("n_drivers,width,n_rows", [(40, 6, 20_000), (38, 5, 3_000), (7, 3, 500), (64, 6, 1_000)])
def test_unique_rows_matches_numpy_unique_on_sorted_lineups_with_duplicates(n_drivers: int, width: int,
                                                                            n_rows: int) -> None:
    rng = np.random.default_rng(n_drivers * width)
    rows = np.sort(np.argsort(rng.random((n_rows, n_drivers)), axis=1)[:, :width], axis=1).astype(np.int32)
    rows = np.concatenate([rows, rows[rng.integers(0, n_rows, n_rows // 3)]])  # duplicates, some many times
    want_u, want_c = np.unique(rows, axis=0, return_counts=True)
    u, c = unique_rows(rows)
    assert u.dtype == rows.dtype and c.dtype == np.int64
    np.testing.assert_array_equal(u, want_u)
    np.testing.assert_array_equal(c, want_c)
    assert c.sum() == rows.shape[0]


def test_unique_rows_by_hand_and_the_fallbacks() -> None:
    rows = np.array([[2, 3], [0, 9], [2, 3], [0, 1], [2, 3]], dtype=np.int32)
    u, c = unique_rows(rows)  # lexicographic: (0,1), (0,9), (2,3) x3
    assert u.tolist() == [[0, 1], [0, 9], [2, 3]] and c.tolist() == [1, 1, 3]
    neg = np.array([[-1, 2], [0, 0], [-1, 2]], dtype=np.int64)  # negative: numpy.unique itself
    u, c = unique_rows(neg)
    assert u.tolist() == [[-1, 2], [0, 0]] and c.tolist() == [2, 1]
    wide = np.array([[0] * 10, [2**40] + [0] * 9, [0] * 10], dtype=np.int64)  # no int64 key: numpy.unique
    u, c = unique_rows(wide)
    assert u.tolist() == [[0] * 10, [2**40] + [0] * 9] and c.tolist() == [2, 1]


def test_field_unique_keeps_its_types() -> None:
    f = Field(np.array([[1, 2, 5], [0, 2, 4], [1, 2, 5]], dtype=np.int32))
    u, c = f.unique()
    assert u.dtype == np.int32 and u.tolist() == [[0, 2, 4], [1, 2, 5]] and c.tolist() == [1, 2]
    assert f.to_dict()["n_unique"] == 2 and f.to_dict()["max_duplicates"] == 2
