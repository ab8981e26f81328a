"""The one confidence-interval helper (:mod:`analysis.core.intervals`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.core import intervals as ci


def test_z975_is_the_normal_quantile() -> None:
    assert ci.Z975 == float(stats.norm.ppf(0.975))


def test_wald_works_on_floats_and_series() -> None:
    lo, hi = ci.wald(0.5, 0.1)
    assert (lo, hi) == (0.5 - ci.Z975 * 0.1, 0.5 + ci.Z975 * 0.1)
    s_lo, s_hi = ci.wald(pd.Series([0.5, 1.0]), pd.Series([0.1, 0.2]))
    assert list(s_lo) == [0.5 - ci.Z975 * 0.1, 1.0 - ci.Z975 * 0.2] and s_hi.iloc[1] == 1.0 + ci.Z975 * 0.2


def test_log_se_inverts_a_wald_interval_of_a_ratio() -> None:
    lo, hi = (math.exp(x) for x in ci.wald(math.log(1.8), 0.25))
    assert ci.log_se(lo, hi) == pytest.approx(0.25, rel=1e-12)


def test_width_ratio_and_its_tolerance() -> None:
    assert ci.log_width_ratio(0.5, 2.0, 0.25, 4.0) == pytest.approx(0.5)
    assert ci.width_ok(0.754) and ci.width_ok(1.334) and not ci.width_ok(0.744) and not ci.width_ok(1.336)


@pytest.mark.parametrize(
    ("p", "lo", "hi", "bound", "expected"),
    [
        (0.049, None, None, False, True),
        (0.05, None, None, False, False),
        (0.05, None, None, True, True),  # published as "p < .05": a bound at the level counts
        (None, 1.1, 2.0, False, True),  # no p: the ratio's interval excludes 1
        (float("nan"), 0.8, 1.2, False, False),
        (np.nan, 0.5, 0.9, False, True),
        (None, None, 2.0, False, None),
        (pd.NA, float("nan"), 2.0, False, None),
    ],
)
def test_significant_by_p_else_by_interval(p, lo, hi, bound, expected) -> None:
    assert ci.significant(p, lo, hi, bound=bound) is expected
