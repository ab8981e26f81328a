"""Counts per month and location, registration coverage, unique youths, occupancy."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.describe import counts

MONTHS = ["2020-09", "2020-10", "2020-11"]


def _reg(rows):
    df = pd.DataFrame(rows, columns=["locatie", "maand", "jongere", "start"])
    df["start"] = pd.to_datetime(df["start"])
    df["jongere"] = df["jongere"].astype("string")
    return df


REG = _reg(
    [
        ("A", "2020-09", "a1", "2020-09-01"),
        ("A", "2020-09", "a1", "2020-11-20"),
        ("A", "2020-11", "a2", "2020-11-02"),
        ("B", "2020-10", None, "2020-10-05"),
        ("C", "2020-10", "c1", "2020-10-03"),
        ("C", "2020-11", None, "2020-11-03"),
    ]
)


def test_per_month_zero_filled_and_sums_to_total():
    t = counts.registrations_per_month(REG, MONTHS)
    assert t["n"].tolist() == [2, 2, 2]
    assert t["pct"].sum() == pytest.approx(100)
    t2 = counts.registrations_per_month(REG[REG["maand"] != "2020-10"], MONTHS)
    assert t2["n"].tolist() == [2, 0, 2]


def test_per_location_month_includes_silent_location():
    t = counts.registrations_per_location_month(REG, MONTHS, ["A", "B", "C", "D"])
    assert len(t) == 12 and t.loc[t["locatie"] == "D", "n"].sum() == 0
    assert t["n"].sum() == len(REG)


def test_coverage_from_location_months():
    locs = pd.DataFrame(
        {
            "locatie": ["A", "B", "C"],
            "eerste_maand": ["2019-01", "2020-10", "2019-01"],
            "laatste_maand": ["2021-12", "2021-12", "2020-10"],
        }
    )
    cov = counts.registration_coverage(REG, locs, MONTHS).set_index("locatie")
    assert cov.loc["A", "months_registered"] == 3
    assert cov.loc["B", "late_start"] and cov.loc["B", "months_registered"] == 2
    # C stops after October and has no registration in September: both late and early.
    assert cov.loc["C", "ended_early"] and cov.loc["C", "late_start"]
    assert cov.loc["C", "months_registered"] == 1
    s = counts.coverage_summary(cov.reset_index(), MONTHS)
    assert s == {
        "n_locations": 3,
        "n_short": 2,
        "n_ended_early": 1,
        "n_late_start": 2,
        "months_period": 3,
    }  # no single short length to quote


def test_youth_summary_only_locations_with_every_number():
    s = counts.youth_summary(REG)
    # A has numbers everywhere, B nowhere, C partly (left out).
    assert s["n_locations_with_id"] == 1 and s["n_locations_without_id"] == 1
    assert s["n_youths"] == 2 and s["n_registrations"] == 3
    assert s["max_per_youth"] == 2 and s["min_per_youth"] == 1
    assert s["max_youth_span_days"] == 80  # 1 Sep -> 20 Nov


def test_registrations_per_youth_distribution():
    t = counts.registrations_per_youth(REG)
    assert dict(zip(t["registrations"], t["n_youths"])) == {1: 2, 2: 1}


def test_mean_occupancy_sums_locations_then_averages_months():
    occ = pd.DataFrame(
        {
            "locatie": ["A", "B", "A", "B"],
            "maand": ["2020-09", "2020-09", "2020-10", "2020-10"],
            "gemiddelde_bezetting": [10.0, 20.0, 12.0, 20.0],
        }
    )
    assert counts.mean_occupancy(occ, MONTHS) == pytest.approx(31.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from(MONTHS)), max_size=80))
def test_property_months_and_locations_sum_to_total(rows):
    reg = _reg([(loc, m, None, f"{m}-01") for loc, m in rows])
    assert counts.registrations_per_month(reg, MONTHS)["n"].sum() == len(rows)
    assert counts.registrations_per_location_month(reg, MONTHS)["n"].sum() == len(rows)


def test_late_start_read_from_first_registration():
    locs = pd.DataFrame(
        {
            "locatie": ["A", "Z"],
            "eerste_maand": ["2019-01", "2019-01"],
            "laatste_maand": ["2021-12", "2021-12"],
        }
    )
    reg = REG[REG["locatie"] == "A"].copy()
    reg = reg[reg["maand"] != "2020-09"]  # A starts in November
    cov = counts.registration_coverage(reg, locs, MONTHS).set_index("locatie")
    assert cov.loc["A", "late_start"] and cov.loc["A", "months_registered"] == 1
    assert not cov.loc["Z", "late_start"] and cov.loc["Z", "months_registered"] == 3  # no seclusions
