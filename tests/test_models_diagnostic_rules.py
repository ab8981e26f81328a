"""The residual diagnostics decide by a stated rule: significant *and* large enough.

A p-value alone flags trivial deviations on thousands of rows (the twin's duration models:
KS p ~ 1e-24 at D = 0.066), so every test needs its effect past a limit as well
(:data:`analysis.models.verdict.DIAGNOSTIC_RULES`): past the first limit the model is read with
care (caution ``misfit_<test>``), past the second it is not interpretable (reason ``misfit``).
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.models.diagnostics import Diagnostics
from analysis.models.verdict import CAUTIONS, DIAGNOSTIC_RULES, REASON_NL, REASONS, diagnostic_flags


def _row(**kw: float) -> dict:
    nan = float("nan")
    base = dict(ks_stat=nan, ks_p=nan, dispersion_ratio=nan, dispersion_p=nan, zero_ratio=nan, zero_p=nan)
    base.update(outlier_ratio=nan, outlier_p=nan)
    base.update(kw)
    return base


def test_a_tiny_deviation_on_many_rows_is_not_a_misfit():
    assert diagnostic_flags(_row(ks_stat=0.066, ks_p=1e-24)) == ([], False)


@pytest.mark.parametrize(
    ("row", "flagged", "severe"),
    [
        (_row(ks_stat=0.15, ks_p=0.001), ["uniformity"], False),
        (_row(ks_stat=0.30, ks_p=0.001), ["uniformity"], True),
        (_row(ks_stat=0.30, ks_p=0.2), [], False),  # large but not significant: no evidence
        (
            _row(dispersion_ratio=0.5, dispersion_p=0.01),
            ["dispersion"],
            False,
        ),  # too little spread counts too
        (_row(dispersion_ratio=4.0, dispersion_p=0.001), ["dispersion"], True),
        (_row(zero_ratio=1.6, zero_p=0.01, outlier_ratio=12.0, outlier_p=1e-6), ["zeros", "outliers"], True),
        (_row(outlier_ratio=0.2, outlier_p=0.001), [], False),  # fewer outliers than expected is no misfit
        (None, [], False),  # not diagnosed
    ],
)
def test_rule(row, flagged, severe):
    assert diagnostic_flags(row) == (flagged, severe)


def test_every_rule_has_a_caution_a_dutch_phrase_and_the_severe_reason():
    assert "misfit" in REASONS and "misfit" in REASON_NL
    for test, (_, caution, limit) in DIAGNOSTIC_RULES.items():
        assert f"misfit_{test}" in CAUTIONS and f"misfit_{test}" in REASON_NL
        assert 0 < caution < limit


def test_outlier_share_and_its_binomial_p():
    rng = np.random.default_rng(1)
    d = Diagnostics("m", nsim=99, residuals=rng.uniform(size=5000))
    assert d.outlier_ratio == pytest.approx(1.0, abs=0.35) and d.outlier_p > 0.01
    r = rng.uniform(size=5000)
    r[:250] = 0.0  # 5% beyond every simulation where 2% are expected
    bad = Diagnostics("m", nsim=99, residuals=r)
    assert bad.outlier_ratio > 2.4 and bad.outlier_p < 1e-6
    assert {"outlier_ratio", "outlier_p"} <= set(bad.row())
