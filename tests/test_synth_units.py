"""Unit tests of the exact-allocation building blocks and the measurement-1 model (slow)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.synth.allocate import assign_exact, fill_table, largest_remainder
from analysis.synth.durations import duration_vector


@given(st.lists(st.floats(0.01, 10), min_size=1, max_size=8), st.integers(0, 500))
@settings(max_examples=50, deadline=None)
def test_largest_remainder_sums(weights: list[float], total: int) -> None:
    out = largest_remainder(np.array(weights), total)
    assert out.sum() == total and (out >= 0).all()


def test_assign_exact_counts() -> None:
    rng = np.random.default_rng(1)
    logw = np.log(rng.random((200, 4)))
    logw[:50, 3] = -np.inf
    got = assign_exact(logw, np.array([80, 60, 40, 20]), rng)
    assert np.bincount(got, minlength=4).tolist() == [80, 60, 40, 20]
    assert (got[:50] != 3).all()


def test_fill_table_margins_and_zeros() -> None:
    seed = np.array([[1, 1, 0], [1, 2, 1], [0, 1, 3.0]])
    out = fill_table(seed, np.array([10, 20, 30]), np.array([15, 20, 25]))
    assert out.sum(axis=1).tolist() == [10, 20, 30] and out.sum(axis=0).tolist() == [15, 20, 25]
    assert out[0, 2] == 0 and out[2, 0] == 0


@pytest.mark.parametrize(
    "n,lo,hi,mean,med,art",
    [
        (609, 5, 1439, 143, 45, 3),
        (7, 15, 1080, 207, 30, 0),
        (86, 10, 960, 290, 142, 0),
        (72, 5, 1039, 186, 45, 0),
    ],
)
def test_duration_vector_exact(n: int, lo: int, hi: int, mean: int, med: int, art: int) -> None:
    v = duration_vector(n, lo, hi, mean, med, art, np.random.default_rng(3))
    assert (v.min(), v.max(), v.sum(), float(np.median(v))) == (lo, hi, mean * n, med)


@pytest.mark.slow
def test_measurement1_model_structure(tmp_path) -> None:
    """Chapter-3 stand-ins on the twin: every coherent term meets its three targets (issue 15).

    Targets per published term: estimate inside the published 95% CI, log CI width within
    0.75-1.33 times the published width, same conclusion at 5%. Terms appendix E finds
    incoherent are reported, not targets; documented exceptions are in CH3_EXCEPTIONS.
    """
    from analysis.ingest import process as ingest
    from analysis.synth import write_twin
    from analysis.verify.calibration import CH3_EXCEPTIONS, chapter3_check

    write_twin(tmp_path / "raw", 20210531)
    ingest.run(tmp_path / "raw", tmp_path / "proc")
    t = chapter3_check(tmp_path / "proc")
    assert len(t) == 19 and t["status"].ne("not computed").all()
    miss = t[t["target"] & t["status"].ne("on target") & ~t["term"].isin(CH3_EXCEPTIONS)]
    assert miss.empty, miss[["term", "published", "estimate", "width_ratio", "status"]].to_string()


def test_every_calibration_status_is_explained_in_english_and_dutch():
    from analysis.verify.calibration import KNOWN_MISSES, REASONS, _status

    keys = {
        _status("x.n.1", 5, None, "exact", 0)[1],
        _status("ch2.s2_9.n.addition_filled", 5, None, "exact", 0)[1],
        _status("x.n.1", 5, 4, "exact", 0)[1],
        *KNOWN_MISSES.values(),
    }
    assert _status("x.n.1", 5, 5, "exact", 0) == ("exact", "")
    for key in keys:
        assert REASONS[key]["en"] and REASONS[key]["nl"], key


def test_every_reproduction_status_has_a_dutch_name():
    from analysis.report.appendices import REPRO_STATUS_NL
    from analysis.verify.reproduction import STATUSES

    assert set(STATUSES) <= set(REPRO_STATUS_NL)
