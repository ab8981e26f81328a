"""Time coding as a sensitivity analysis: the month index without the months between
measurements, a month slope per measurement, and whether each chapter-3 conclusion holds."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from analysis.models import frames as fr
from analysis.models import sensitivity as sens
from analysis.models.simulate import SimParams, simulate
from analysis.models.spec import ModelSpec, has_month, primary_specs, slope_per_measurement, slope_term


def _shift(ym: pd.Series, months: int) -> pd.Series:
    n = fr.month_number(ym) + months
    return (n // 12).astype(str).str.zfill(4) + "-" + (n % 12 + 1).astype(str).str.zfill(2)


@pytest.fixture(scope="module")
def two() -> dict[str, pd.DataFrame]:
    return simulate(SimParams(n_locations=5), seed=11)


@pytest.fixture(scope="module")
def three(two) -> dict[str, pd.DataFrame]:
    """A third measurement a year after the second (a copy of it, other months)."""
    out = {}
    for name in ("registrations", "occupancy"):
        df = two[name]
        third = df[df["meting"] == 2].copy()
        third["meting"] = 3
        third["maand"] = _shift(third["maand"], 12)
        out[name] = pd.concat([df, third], ignore_index=True)
    return out


@pytest.mark.parametrize("which", ["two", "three"])
def test_month_without_gap_is_consecutive_over_the_measured_months(which, request) -> None:
    d = request.getfixturevalue(which)
    F = fr.build_frames(d["registrations"], d["occupancy"])
    months = fr.measured_months(F)
    assert len(months) == len(F.meting_levels)
    index = fr.month_without_gap(F.counts["maand"], months)
    values = sorted(index.unique())
    assert values == list(range(len(values))) and len(values) == sum(len(v) for v in months.values())
    # the last month of one measurement and the first of the next are one apart
    by = F.counts.assign(i=index).groupby("meting")["i"]
    for a, b in zip(F.meting_levels, F.meting_levels[1:]):
        assert by.min()[b] - by.max()[a] == 1
    # the calendar index has the gap; centred like month on the location-month rows
    assert F.counts["month_index"].max() > index.max()
    nogap = fr.frame_for(F, "counts|nogap")
    assert nogap["month"].mean() == pytest.approx(0.0)
    assert len(nogap) == len(F.counts) and (nogap["n"] == F.counts["n"]).all()
    assert np.allclose(np.diff(sorted(nogap["month"].unique())), 1.0)
    # the base frames are untouched (primary fits see exactly the same rows)
    assert "month_within" not in F.counts and (F.counts["month"] == fr.frame_for(F, "counts")["month"]).all()


def test_month_within_measurement_restarts_in_each_measurement(three) -> None:
    F = fr.build_frames(three["registrations"], three["occupancy"])
    w = fr.frame_for(F, "duration|within")
    counts = fr.frame_for(F, "counts|within")
    for m, g in counts.groupby("meting"):
        assert g["month_within"].mean() == pytest.approx(0.0)  # centred within the measurement
        assert g["month_within"].max() - g["month_within"].min() == len(fr.measured_months(F)[m]) - 1
    assert len(w) == len(F.duration) and w["month_within"].notna().all()


def test_slope_per_measurement_has_one_slope_per_measurement() -> None:
    spec = next(s for s in primary_specs() if s.model_id == "dur_month")
    v = slope_per_measurement(spec, ["1", "2", "3"])
    assert v.rhs == "meting + meting:month_within" and v.frame == "duration|within"
    assert [new for _, new in v.term_map] == [slope_term(k) for k in ("1", "2", "3")]
    assert "month_within" in v.variables() and "month" not in v.variables()
    # the declared kind agrees with the formula: a month term exactly in the month and interaction models
    assert {s.model_id for s in primary_specs() if has_month(s)} == {
        s.model_id for s in primary_specs() if re.search(r"\bmonth\b", s.rhs)
    }


def test_slope_per_measurement_fit_gives_one_slope_term_per_measurement(three) -> None:
    """Fitted in R (lmer): three measurements, three slopes and two contrasts."""
    pytest.importorskip("rpy2")
    from analysis.models.fit import fit_uncached

    F = fr.build_frames(three["registrations"], three["occupancy"])
    spec = ModelSpec("dur_month", "duration", "duration", "log_dur", "month", "gaussian", "lmer")
    v = slope_per_measurement(spec, F.meting_levels)
    res = fit_uncached(v, fr.frame_for(F, v.frame), F.meting_levels, with_lr=False)
    terms = [t for t in res.fixed["term"] if t != "intercept"]
    assert sorted(terms) == sorted(["meting2", "meting3"] + [slope_term(k) for k in F.meting_levels])


def test_compared_term_maps_slopes_to_the_month_conclusion() -> None:
    assert sens.compared_term("month_by_meting", "month", "month_in_meting2", "1") == "month"
    assert sens.compared_term("month_by_meting", "interaction", "month_in_meting1", "1") == "month"
    assert sens.compared_term("month_by_meting", "interaction", "month_in_meting2", "1") == ""
    assert sens.compared_term("month_by_meting", "interaction", "meting2", "1") == "meting2"
    assert sens.compared_term("month_nogap", "month", "month", "1") == "month"
    assert set(sens.TIME_CODING) <= set(sens.DEFAULT_ANALYSES)


def test_overall_conclusion_rule() -> None:
    assert sens.overall_conclusion(["same", "same"]) == "same"
    assert sens.overall_conclusion(["same", "different"]) == "different"
    assert sens.overall_conclusion(["different", "not_assessable"]) == "not_assessable"
    assert sens.overall_conclusion([]) == "not_assessable"


def _est(rows: list[tuple]) -> pd.DataFrame:
    cols = ["analysis", "model_id", "variant", "term", "exp_est", "p", "verdict", "compared_term"]
    df = pd.DataFrame(rows, columns=cols)
    return df.assign(status="ok", exp_ci_low=np.nan, exp_ci_high=np.nan, estimate=0.0, se=0.1, warnings="")


def _time_rows(slope2_p: float, verdict: str = "ok") -> list[tuple]:
    a, m = "month_by_meting", "count_month"
    return [
        ("month_nogap", m, "primary", "month", 0.92, 0.001, "ok", "month"),
        ("month_nogap", m, "month_nogap", "month", 0.87, 0.001, "ok", "month"),
        (a, m, "primary", "month", 0.92, 0.001, "ok", "month"),
        (a, m, a, "meting2", 0.4, 0.001, verdict, "meting2"),
        (a, m, a, "month_in_meting1", 0.93, 0.01, verdict, "month"),
        (a, m, a, "month_in_meting2", 0.94, slope2_p, verdict, "month"),
    ]


def test_summary_judges_each_conclusion_with_both_slopes() -> None:
    from analysis.present import models as present
    from analysis.present import timecoding

    held = timecoding.time_coding_conclusions(_est(_time_rows(0.03))).set_index("analysis")
    assert (
        held.loc["month_by_meting", "conclusion"] == "same" and held.loc["month_by_meting", "n_compared"] == 2
    )
    changed = timecoding.time_coding_conclusions(_est(_time_rows(0.4))).set_index("analysis")
    assert changed.loc["month_by_meting", "conclusion"] == "different"
    assert changed.loc["month_nogap", "conclusion"] == "same"
    unread = timecoding.time_coding_conclusions(_est(_time_rows(0.4, "singular"))).set_index("analysis")
    assert unread.loc["month_by_meting", "conclusion"] == "not_assessable"
    # the general summary counts the two slope comparisons of the one month term
    summary = present.sensitivity_summary(_est(_time_rows(0.4))).set_index("Analyse")
    row = summary.loc[present.SENSITIVITY_LABELS["month_by_meting"]]
    assert (row["Zelfde"], row["Anders"]) == (1, 1)
    table = timecoding.time_coding_table(_est(_time_rows(0.4)))
    cell = table.loc[0, present.SENSITIVITY_LABELS["month_by_meting"]]
    assert cell.startswith("anders: meting 1: 0,93") and "meting 2: 0,94 (p = 0,400)" in cell


def test_sentences_count_what_ran() -> None:
    from analysis.present import timecoding

    est = _est(_time_rows(0.4))
    s = timecoding.time_coding_sentence(est)
    assert "blijft 1 van de 1 conclusie gelijk, verandert er geen en is er geen niet te beoordelen" in s
    assert "blijft geen van de 1 conclusie gelijk, verandert er 1 (aantal, maand: maand (per maand))" in s
    a = timecoding.analyses_sentence(est, {})
    assert a.startswith("In deze run zijn 2 gevoeligheidsanalyses geschat: *maandindex zonder")
    one = est[est["analysis"] == "month_nogap"]
    assert timecoding.analyses_sentence(one, {}).startswith("In deze run is 1 gevoeligheidsanalyse geschat")
    assert (
        timecoding.analyses_sentence(est.iloc[0:0], {}) == "In deze run is geen gevoeligheidsanalyse geschat."
    )
