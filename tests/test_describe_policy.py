"""Chapter 1: policy distributions with the report's denominators."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.describe import policy as pol
from test_describe_fixture import policy as fixture_policy


def test_denominator_is_locations_with_data():
    p = fixture_policy()
    t = pol.policy_distribution(p, "rustmomenten")
    assert (t["denominator"] == 17).all()
    assert dict(zip(t["code"], t["n"])) == {"1": 5, "2": 10, "3": 2, "na": 0}
    assert t.loc[t["code"] == "1", "pct"].item() == pytest.approx(500 / 17)


def test_all_chapter1_values_match_report_margins():
    p = fixture_policy()
    vals = {}
    vals.update(pol.policy_values("ch1_data_supplied", pol.data_supplied(p)))
    vals.update(pol.policy_values("ch1_day_unchanged", pol.day_unchanged_breakdown(p)))
    vals.update(pol.policy_values("ch1_night_unchanged", pol.night_unchanged_breakdown(p)))
    vals.update(pol.policy_values("ch1_night_change", pol.policy_distribution(p, "verandering_nacht")))
    assert vals["ch1.data.n.with_data"] == 17 and vals["ch1.data.n.without_data"] == 1
    assert vals["ch1.day_unchanged.n.one_day"] == 4 and vals["ch1.day_unchanged.n.two_day"] == 2
    assert vals["ch1.day_unchanged.n.closed_jan2021"] == 1
    assert vals["ch1.night_unchanged.n.already_open"] == 5 and vals["ch1.night_unchanged.n.locked"] == 6
    assert vals["ch1.night_unchanged.n.locked_closed_jan2021"] == 1
    assert vals["ch1.summary.n.night_no_change_no_plan"] == 6
    assert vals["ch1.night_change.pct.unchanged"] == pytest.approx(1100 / 17)


def test_factor_frequencies_multiple_response():
    p = pd.DataFrame(
        {"gegevens": pd.array([1, 1, 0], dtype="Int64"), "bevorderende_factoren": ["1|2", "2", None]}
    )
    t = pol.factor_frequencies(p, "bevorderende_factoren")
    assert t["n"].tolist() == [1, 2, 0, 0, 0] and (t["denominator"] == 2).all()
    assert pol.policy_values("ch1_factors_promoting", t) == {"ch1.factors.n.promoting": 2}


def test_factor_unknown_code():
    p = pd.DataFrame({"gegevens": pd.array([1], dtype="Int64"), "belemmerende_factoren": ["9"]})
    with pytest.raises(ValueError):
        pol.factor_frequencies(p, "belemmerende_factoren")
