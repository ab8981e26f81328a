"""Audit of the published report (consistency of published_figures.csv)."""

import math

import pandas as pd
import pytest

from analysis.verify.audit import audit, audit_table, implied_p
from analysis.core.paths import find_root

COLS = ["id", "chapter", "value", "unit", "denominator", "decimals", "kind", "category_code"]


def table(rows):
    return pd.DataFrame(rows, columns=COLS)


def test_category_sum_and_percentages():
    t = table(
        [
            ["ch2.f.n.na", "2", 10, "count", 100, 0, "exact", "na"],
            ["ch2.f.n.1", "2", 60, "count", 100, 0, "exact", "1"],
            ["ch2.f.n.2", "2", 20, "count", 100, 0, "exact", "2"],  # 10+60+20 = 90, not 100
            ["ch2.f.pct.na", "2", 10, "percent", 100, 0, "rounded", "na"],
            ["ch2.f.pct.1", "2", 66, "percent", 100, 0, "rounded", "1"],  # 60 of 100 is 60%
            ["ch2.f.pct.2", "2", 20, "percent", 100, 0, "rounded", "2"],
            ["ch2.g.n.1", "2", 50, "count", 100, 0, "exact", "1"],  # incomplete group: fine
        ]
    )
    res = audit_table(t)
    (cs,) = res.by_check("category_sum")
    assert cs.ids == ["ch2.f.n.na", "ch2.f.n.1", "ch2.f.n.2"] and "90" in cs.numbers
    (pc,) = res.by_check("percent_count")
    assert pc.ids == ["ch2.f.pct.1", "ch2.f.n.1"] and "60,0%" in pc.message
    (ps,) = res.by_check("percent_sum")  # 96 is more than 3 x 0.5 from 100
    assert "96" in ps.numbers


def test_summary_ranges():
    t = table(
        [
            ["ch2.t.n.1", "2", 7, "count", 1613, 0, "exact", "1"],
            ["ch2.t.min.1", "2", 15, "minutes", None, 0, "exact", "1"],
            ["ch2.t.max.1", "2", 60, "minutes", None, 0, "exact", "1"],
            ["ch2.t.median.1", "2", 30, "minutes", None, 0, "rounded", "1"],
            ["ch2.t.mean.1", "2", 70, "minutes", None, 0, "rounded", "1"],  # above the max
        ]
    )
    res = audit_table(t)
    msgs = [f.message for f in res.by_check("summary_range")]
    assert any("buiten het bereik" in m for m in msgs)
    assert any("ligt het gemiddelde" in m for m in msgs)  # infeasible given n, min, median, max


def test_p_against_ci():
    t = table(
        [
            ["ch3.m.meting2.est", "3", 0.91, "ratio", None, 2, "estimate", None],
            ["ch3.m.meting2.ci_low", "3", 0.85, "ratio", None, 2, "ci_low", None],
            ["ch3.m.meting2.ci_high", "3", 0.99, "ratio", None, 2, "ci_high", None],
            ["ch3.m.meting2.p", "3", 0.046, "p", None, 3, "p", None],
            ["ch3.k.month.est", "3", 0.92, "ratio", None, 2, "estimate", None],
            ["ch3.k.month.ci_low", "3", 0.90, "ratio", None, 2, "ci_low", None],
            ["ch3.k.month.ci_high", "3", 0.94, "ratio", None, 2, "ci_high", None],
            ["ch3.k.month.p", "3", 0.001, "p", None, 3, "p_upper_bound", None],
        ]
    )
    res = audit_table(t)
    (f,) = res.by_check("p_ci")
    assert f.ids[-1] == "ch3.m.meting2.p" and "0,046" in f.message
    se = (math.log(0.99) - math.log(0.85)) / (2 * 1.959964)
    assert implied_p(0.91, 0.85, 0.99) == pytest.approx(
        2 * (1 - __import__("scipy").stats.norm.cdf(abs(math.log(0.91)) / se))
    )


def test_contrast_coherence():
    rows = []
    for name, est, lo, hi in [
        ("iso_vs_other", 1.55, 1.05, 2.28),
        ("iso_vs_own", 1.00, 0.81, 1.24),
        ("other_vs_own", 0.96, 0.76, 1.21),
    ]:
        for stat, v in (("est", est), ("ci_low", lo), ("ci_high", hi)):
            rows.append(
                [
                    f"ch3.room_{name}_meting.meting2.{stat}",
                    "3",
                    v,
                    "ratio",
                    None,
                    2,
                    "estimate" if stat == "est" else stat,
                    None,
                ]
            )
    res = audit_table(table(rows))
    (f,) = res.by_check("contrast")
    assert "1,04" in f.message and "1,55" in f.message and res.checked["contrast"] == 1


def test_consistent_table_has_no_findings():
    t = table(
        [
            ["ch2.f.n.na", "2", 10, "count", 100, 0, "exact", "na"],
            ["ch2.f.n.1", "2", 90, "count", 100, 0, "exact", "1"],
            ["ch2.f.pct.na", "2", 10, "percent", 100, 0, "rounded", "na"],
            ["ch2.f.pct.1", "2", 90, "percent", 100, 0, "rounded", "1"],
        ]
    )
    assert audit_table(t).findings == []


REAL = find_root() / "data" / "reference" / "published_figures.csv"


@pytest.mark.skipif(not REAL.exists(), reason="published_figures.csv not present")
def test_real_published_table_figure_12():
    res = audit(REAL)
    fig12 = [f for f in res.by_check("category_sum") if any(i.startswith("ch2.fig12.") for i in f.ids)]
    assert len(fig12) == 1 and "1593" in fig12[0].numbers and "1613" in fig12[0].numbers
    assert any("ch2.fig12.pct.1" in f.ids for f in res.by_check("percent_count"))
    assert res.checked["p_ci"] > 10 and res.checked["contrast"] >= 2
