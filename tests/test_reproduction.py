"""Reproduction check: status logic, failures, allow-list, check(paths)."""

import pandas as pd
import pytest

from analysis.core.paths import Paths
from analysis.verify.reproduction import (
    DIFFERS,
    EXACT,
    IN_CI,
    MISSING,
    ROUNDING,
    allowed_reason,
    check,
    compare,
    status_of,
)
from analysis.core.results import write_result


def row(value, kind="exact", decimals=0):
    return pd.Series({"value": value, "kind": kind, "decimals": decimals})


@pytest.mark.parametrize(
    "published,kind,dec,computed,ci,expected",
    [
        (1613, "exact", 0, 1613, None, EXACT),
        (1613, "exact", 0, 1612, None, DIFFERS),
        (1613, "exact", 0, None, None, MISSING),
        (1613, "exact", 0, float("nan"), None, MISSING),
        (43, "rounded", 0, 43.0, None, EXACT),
        (43, "rounded", 0, 43.2, None, ROUNDING),
        (43, "rounded", 0, 42.5, None, ROUNDING),
        (43, "rounded", 0, 43.6, None, DIFFERS),
        (0.4, "rounded", 1, 0.37, None, ROUNDING),
        (0.4, "rounded", 1, 0.62, None, DIFFERS),
        (0.92, "estimate", 2, 0.923, (0.90, 0.94), ROUNDING),
        (0.92, "estimate", 2, 0.93, (0.90, 0.94), IN_CI),
        (0.92, "estimate", 2, 0.95, (0.90, 0.94), DIFFERS),
        (0.001, "p_upper_bound", 3, 0.0002, None, EXACT),
        (0.001, "p_upper_bound", 3, 0.02, None, DIFFERS),
        (0.231, "p", 3, 0.2312, None, ROUNDING),
    ],
)
def test_status(published, kind, dec, computed, ci, expected):
    assert status_of(row(published, kind, dec), computed, ci) == expected


def published_table():
    return pd.DataFrame(
        {
            "id": [
                "ch2.a.n.1",
                "ch2.a.pct.1",
                "ch2.fig12.n.1",
                "ch3.m.month.est",
                "ch3.m.month.ci_low",
                "ch3.m.month.ci_high",
                "method.x",
            ],
            "chapter": ["2", "2", "2", "3", "3", "3", "method"],
            "description": [""] * 7,
            "value": [10, 43, 1039, 0.92, 0.90, 0.94, 13],
            "unit": ["count", "percent", "count", "ratio", "ratio", "ratio", "count"],
            "decimals": [0, 0, 0, 2, 2, 2, 0],
            "kind": ["exact", "rounded", "exact", "estimate", "ci_low", "ci_high", "exact"],
        }
    )


def values(**kv):
    return pd.DataFrame({"published_id": list(kv), "value": list(kv.values()), "result": "r"})


def test_compare_passes_when_chapter_2_matches_and_chapter_3_differs():
    v = values(**{"ch2.a.n.1": 10, "ch2.a.pct.1": 43.3, "ch3.m.month.est": 0.80})
    res = compare(published_table(), v.rename(columns=lambda c: c))
    t = res.table.set_index("id")
    assert t.loc["ch2.a.n.1", "status"] == EXACT and t.loc["ch2.a.pct.1", "status"] == ROUNDING
    assert t.loc["ch3.m.month.est", "status"] == DIFFERS  # does not fail the check
    assert t.loc["method.x", "status"] == MISSING
    assert res.exit_code == 0


def test_compare_fails_on_chapter_2_difference():
    res = compare(published_table(), values(**{"ch2.a.n.1": 11}))
    assert res.exit_code == 1 and list(res.failures["id"]) == ["ch2.a.n.1"]


def test_allow_list_excuses_documented_differences():
    res = compare(published_table(), values(**{"ch2.fig12.n.1": 1059}))
    assert res.exit_code == 0
    t = res.table.set_index("id")
    assert t.loc["ch2.fig12.n.1", "allowed"] and "1593" in t.loc["ch2.fig12.n.1", "reason"]
    assert allowed_reason("ch2.fig02.n.1") == ""


def test_counts_by_chapter():
    res = compare(published_table(), values(**{"ch2.a.n.1": 10}))
    c = res.counts()
    assert c.loc["2", EXACT] == 1 and c.loc["3", MISSING] == 3


def test_check_reads_paths_and_prints(tmp_path, capsys):
    paths = Paths(tmp_path)
    paths.reference.mkdir(parents=True)
    published_table().to_csv(paths.published_figures, index=False)
    write_result(
        paths.results,
        "x",
        pd.DataFrame({"a": [1]}),
        chapter="2",
        title="x",
        values={"ch2.a.n.1": 10, "ch2.a.pct.1": 41},
    )
    res = check(paths)
    assert res.exit_code == 1 and list(res.failures["id"]) == ["ch2.a.pct.1"]
    from rich.console import Console

    res.print_summary(Console(width=100, force_terminal=False))
    out = capsys.readouterr().out
    assert "Chapter 2" in out and "FAIL" in out and "ch2.a.pct.1" in out
    assert "Hoofdstuk" not in out and "cijfers" not in out  # the CLI speaks English
    assert len(out.splitlines()) < 40  # one screen


# --- issue 13 item 3: published figures belong to measurements; compare like with like -----------
def scoped_published():
    t = published_table()
    t["metingen"] = ["2", "2", "2", "1;2", "1;2", "1;2", ""]
    return t


def scoped_values(metingen, **kv):
    v = values(**kv)
    v["metingen"] = metingen
    return v


def test_a_new_measurement_is_never_compared_with_a_published_one():
    # Chapter 2 of measurement 3: values far from the published measurement-2 figures.
    res = compare(scoped_published(), scoped_values("3", **{"ch2.a.n.1": 1213, "ch2.a.pct.1": 39}))
    t = res.table
    assert res.exit_code == 0 and res.failures.empty
    assert set(t.loc[t["metingen"] == "3", "status"]) == {"no published figure"}
    assert not (t["status"] == DIFFERS).any()
    pub = t[t["id"].eq("ch2.a.n.1") & t["metingen"].eq("2")].iloc[0]
    assert pub["status"] == MISSING and pd.isna(pub["computed"])
    lines = res.compared()
    assert any("Hoofdstuk 2" in x and "meting 2" in x and "geen cijfer" not in x for x in lines), lines
    assert any("2 berekende cijfers over meting 3 zonder gepubliceerd cijfer" in x for x in lines), lines


def test_same_measurement_is_compared_and_can_fail():
    v = pd.concat([scoped_values("2", **{"ch2.a.n.1": 11}), scoped_values("3", **{"ch2.a.n.1": 10})])
    res = compare(scoped_published(), v)
    assert res.exit_code == 1 and list(res.failures["id"]) == ["ch2.a.n.1"]
    assert res.failures["computed"].iloc[0] == 11  # measurement 2's value, not measurement 3's


def test_models_over_other_measurements_are_not_compared():
    res = compare(scoped_published(), scoped_values("1;2;3", **{"ch3.m.month.est": 0.5}))
    t = res.table
    assert t.loc[t["id"].eq("ch3.m.month.est") & t["metingen"].eq("1;2"), "status"].iloc[0] == MISSING
    assert t.loc[t["metingen"].eq("1;2;3"), "status"].iloc[0] == "no published figure"
    assert any("meting 1 t/m 3" in x for x in res.compared())


def test_values_carry_their_measurements_through_the_results_contract(tmp_path):
    from analysis.core.results import read_values

    write_result(
        tmp_path,
        "r1",
        pd.DataFrame({"x": [1]}),
        chapter="2",
        title="t",
        values={"ch2.a.n.1": 10},
        metingen=[2],
    )
    write_result(
        tmp_path,
        "r2",
        pd.DataFrame({"x": [1]}),
        chapter="3",
        title="t",
        values={"ch3.m.month.est": 0.9},
        metingen=[2, 1],
    )
    v = read_values(tmp_path).set_index("published_id")
    assert v.loc["ch2.a.n.1", "metingen"] == "2" and v.loc["ch3.m.month.est", "metingen"] == "1;2"
