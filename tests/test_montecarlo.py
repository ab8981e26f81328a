"""Monte Carlo honesty: every simulated figure carries its interval, and the text claims only what
the interval supports (planning's minimal detectable change; the residual diagnostics' p-values
and the number of simulations they used)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.models import power as pl
from analysis.models.diagnostics import (
    Diagnostics,
    _two_sided_p,
    diagnostics_table,
    ks_p_interval,
    scaled_residuals,
    simulated_p_interval,
)


# --- planning: the rule of the minimal detectable change -------------------------------------------
def _power(rows: list[tuple[float, int, int]], months: int = 12, nsim: int | None = None) -> pd.DataFrame:
    """(change, detected, nsim) -> power table rows with Wilson intervals."""
    out = []
    for change, k, n in rows:
        lo, hi = pl.wilson(k, n)
        out.append(
            {
                "outcome": "count",
                "months": months,
                "locations": 18,
                "change": change,
                "nsim": n if nsim is None else nsim,
                "detected": k,
                "power": k / n,
                "ci_low": lo,
                "ci_high": hi,
                "n_warning": 0,
                "n_failed": 0,
            }
        )
    return pd.DataFrame(out)


def test_mdc_is_undetermined_when_an_interval_spans_the_target() -> None:
    # the default build's quick study on the twin: 8 simulations, 6/8 at -15%, 8/8 at -30%
    power = _power([(0.0, 1, 8), (-0.15, 6, 8), (-0.3, 8, 8)])
    mdc = pl.minimal_detectable_change(power, 0.8).iloc[0]
    assert mdc["status"] == pl.MDC_UNDETERMINED and math.isnan(mdc["mdc_low"])
    assert mdc["spanning"] == "0.15;0.3"
    # the point powers alone would have "reached" the target by interpolation
    assert mdc["reached"] and mdc["mdc"] == pytest.approx(0.18)


def test_mdc_is_stated_only_between_a_decline_below_and_one_above_the_target() -> None:
    power = _power([(0.0, 20, 400), (-0.1, 200, 400), (-0.2, 380, 400), (-0.3, 400, 400)])
    mdc = pl.minimal_detectable_change(power, 0.8).iloc[0]
    assert mdc["status"] == pl.MDC_DETERMINED and (mdc["mdc_low"], mdc["mdc_high"]) == (0.1, 0.2)
    # every studied decline below the target: the decline lies above the largest studied
    low = _power([(0.0, 20, 400), (-0.1, 60, 400), (-0.2, 150, 400)])
    row = pl.minimal_detectable_change(low, 0.8).iloc[0]
    assert row["status"] == pl.MDC_ABOVE and row["mdc_low"] == 0.2
    # the smallest decline already above: at most that decline
    high = _power([(0.0, 20, 400), (-0.1, 390, 400)])
    row = pl.minimal_detectable_change(high, 0.8).iloc[0]
    assert row["status"] == pl.MDC_DETERMINED and (row["mdc_low"], row["mdc_high"]) == (0.0, 0.1)
    # a smaller decline whose interval spans the target makes the decline undetermined
    assert pl.mdc_rule([0.0, 0.1, 0.2], [0.0, 0.7, 0.95], [0.1, 0.85, 1.0])[0] == pl.MDC_UNDETERMINED


def test_nsim_for_a_five_point_halfwidth() -> None:
    n = pl.nsim_for_halfwidth(0.05)
    lo, hi = pl.wilson(n // 2, n)
    assert n == 385 and (hi - lo) / 2 <= 0.05
    lo, hi = pl.wilson(4, 8)
    assert (hi - lo) / 2 > 0.05


@pytest.mark.parametrize("months", [3, 12])
def test_appendix_never_states_a_decline_its_interval_does_not_support(months: int) -> None:
    from analysis.present import planning as present

    power = _power([(0.0, 1, 8), (-0.15, 6, 8), (-0.3, 8, 8)], months=months)
    text = present.answer_sentences(power, pl.minimal_detectable_change(power))
    assert "De kleinste daling" not in text and "ongeveer" not in text
    assert "is niet te bepalen met 8 simulaties" in text
    assert "de Monte-Carlo-intervallen van de power bij 15% en 30% omvatten 80%" in text
    assert "75% bij een daling van 15% (95%-interval 41% - 93%)" in text
    one = _power([(0.0, 1, 8), (-0.15, 1, 8), (-0.3, 6, 8)], months=months)
    text = present.answer_sentences(one, pl.minimal_detectable_change(one))
    assert "het Monte-Carlo-interval van de power bij 30% omvat 80%" in text


def test_appendix_states_the_decline_where_the_intervals_allow_it() -> None:
    from analysis.present import planning as present

    power = _power([(0.0, 20, 400), (-0.1, 200, 400), (-0.2, 380, 400)])
    text = present.answer_sentences(power, pl.minimal_detectable_change(power))
    assert "De kleinste daling die met 80% kans wordt gezien, ligt tussen 10% en 20%" in text
    power = _power([(0.0, 20, 400), (-0.1, 390, 400)])
    text = present.answer_sentences(power, pl.minimal_detectable_change(power))
    assert "is hoogstens 10%" in text
    power = _power([(0.0, 20, 400), (-0.1, 60, 400)])
    text = present.answer_sentences(power, pl.minimal_detectable_change(power))
    assert "Geen van de onderzochte dalingen wordt met 80% kans gezien: ook bij 10%" in text


def test_study_sentence_names_the_study_and_its_simulations() -> None:
    from analysis.present import planning as present

    settings = {
        "quick": {"outcomes": ["count"], "nsim": 8},
        "full": {"outcomes": ["count", "duration"], "nsim": 400},
    }
    quick = _power([(0.0, 1, 8), (-0.15, 6, 8)])
    s = present.study_sentence("quick", quick, settings)
    assert s.startswith("Deze bijlage toont de snelle studie die elke build draait (instelling *quick*")
    assert "met 8 simulaties per ontwerp" in s and "tot 385 simulaties per ontwerp nodig" in s
    assert "*full* (aantal en duur; 400 simulaties per ontwerp)" in s
    full = _power([(0.0, 20, 400), (-0.1, 200, 400)])
    s = present.study_sentence("full", full, settings)
    assert "`compendium plan --setting full`" in s and "hoogstens 5 procentpunten" in s
    assert "nodig" not in s


# --- residual diagnostics ------------------------------------------------------------------------
def test_simulated_p_interval_holds_the_p_value() -> None:
    sim = np.random.default_rng(3).normal(size=250)
    for obs in (-3.0, -1.0, 0.0, 2.0, 5.0):
        p = _two_sided_p(obs, sim)
        lo, hi = simulated_p_interval(obs, sim)
        assert lo <= p <= hi <= 1.0
    lo, hi = simulated_p_interval(0.0, sim)
    assert hi - lo > 0.1  # a p-value near 1 from 250 simulations is not precise


def test_ks_interval_covers_the_spread_over_fresh_simulations() -> None:
    rng = np.random.default_rng(1)
    n, nsim = 1500, 100
    y = rng.normal(size=n) + 0.05
    lo, hi = ks_p_interval(y, rng.normal(size=(n, nsim)), np.random.default_rng(2))
    fresh = [
        stats.kstest(
            scaled_residuals(y, rng.normal(size=(n, nsim)), np.random.default_rng(k)), "uniform"
        ).pvalue
        for k in range(20)
    ]
    assert lo < np.median(fresh) < hi
    assert lo < hi


def test_diagnostics_caption_states_the_simulations_actually_used() -> None:
    from analysis.present import format as nf
    from analysis.present import montecarlo

    d = [
        Diagnostics("count_interaction", 250, ks_p=0.5, ks_p_low=0.3, ks_p_high=0.7),
        Diagnostics("dur_interaction", 31, ks_p=1e-5, ks_p_low=1e-6, ks_p_high=1e-4),
    ]
    table = diagnostics_table(d)
    assert {"ks_p_low", "ks_p_high", "dispersion_p_low", "zero_p_high"} <= set(table.columns)
    note = montecarlo.caption_note(table)
    assert note.startswith("Gebaseerd op 31 tot 250 simulaties per model.") and "None" not in note
    assert montecarlo.caption_note(table.iloc[:1]).startswith("Gebaseerd op 250 simulaties per model.")
    failed = diagnostics_table([Diagnostics("x", 250, error="model not fitted")])
    assert montecarlo.nsim_used(failed) == "geen simulaties"
    assert montecarlo.p_with_interval(0.5, 0.3, 0.7) == "0,500 (0,300 tot 0,700)"
    below = montecarlo.p_with_interval(1e-24, 1e-30, 1e-20)
    assert below == nf.pvalue(1e-24) and "tot" not in below
    assert montecarlo.p_with_interval(0.002, 1e-4, 0.01) == f"0,002 ({nf.pvalue(1e-4)} tot 0,010)"
