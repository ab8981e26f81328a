"""LR tests and chi-bar-squared mixtures."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy import stats

from analysis.models.lrtest import chibar2_p, lr_test, mixture_p


def test_chibar2_is_half_chi2_1():
    assert chibar2_p(3.84) == pytest.approx(0.5 * stats.chi2.sf(3.84, 1))
    assert chibar2_p(0.0) == 1.0
    assert chibar2_p(-1e-9) == 1.0


def test_slope_mixture():
    lr = 5.0
    assert mixture_p(lr, 2) == pytest.approx(0.5 * stats.chi2.sf(lr, 1) + 0.5 * stats.chi2.sf(lr, 2))


def test_lr_test_labels_and_truncation():
    t = lr_test("re_location", "m", -100.0, -100.5)
    assert t.reference == "chibar2(01)" and t.lr == pytest.approx(1.0)
    t0 = lr_test("re_location", "m", -100.0, -99.9)
    assert t0.lr == 0.0 and t0.p == 1.0
    t2 = lr_test("x", "m", -100.0, -103.0, df=2, boundary=False)
    assert t2.p == pytest.approx(stats.chi2.sf(6.0, 2))


@given(st.floats(0.001, 60), st.integers(1, 4))
def test_mixture_between_components(lr, df):
    p = mixture_p(lr, df)
    lower = 0.0 if df == 1 else stats.chi2.sf(lr, df - 1)
    assert lower - 1e-12 <= p <= stats.chi2.sf(lr, df) + 1e-12
    assert mixture_p(lr + 1.0, df) <= p


def test_chibar2_null_size():
    """Under the boundary null the mixture p-value has exact size."""
    rng = np.random.default_rng(0)
    lr = np.where(rng.random(200_000) < 0.5, 0.0, rng.chisquare(1, 200_000))
    p = np.array([chibar2_p(x) for x in lr[:20_000]])
    for a in (0.01, 0.05, 0.2):
        assert abs(np.mean(p <= a) - a) < 0.01
