"""Reproduction check: status logic, failures, allow-list, check(paths)."""

import pandas as pd
import pytest

from analysis.core.paths import Paths
from analysis.verify.reproduction import (DIFFERS, EXACT, IN_CI, MISSING, ROUNDING, allowed_reason, check,
                                   compare, status_of)
from analysis.core.results import write_result


def row(value, kind="exact", decimals=0):
    return pd.Series({"value": value, "kind": kind, "decimals": decimals})


@pytest.mark.parametrize("published,kind,dec,computed,ci,expected", [
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
])
def test_status(published, kind, dec, computed, ci, expected):
    assert status_of(row(published, kind, dec), computed, ci) == expected


def published_table():
    return pd.DataFrame({
        "id": ["ch2.a.n.1", "ch2.a.pct.1", "ch2.fig12.n.1", "ch3.m.month.est", "ch3.m.month.ci_low",
               "ch3.m.month.ci_high", "method.x"],
        "chapter": ["2", "2", "2", "3", "3", "3", "method"],
        "description": [""] * 7,
        "value": [10, 43, 1039, 0.92, 0.90, 0.94, 13],
        "unit": ["count", "percent", "count", "ratio", "ratio", "ratio", "count"],
        "decimals": [0, 0, 0, 2, 2, 2, 0],
        "kind": ["exact", "rounded", "exact", "estimate", "ci_low", "ci_high", "exact"],
    })


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
    write_result(paths.results, "x", pd.DataFrame({"a": [1]}), chapter="2", title="x",
                 values={"ch2.a.n.1": 10, "ch2.a.pct.1": 41})
    res = check(paths)
    assert res.exit_code == 1 and list(res.failures["id"]) == ["ch2.a.pct.1"]
    from rich.console import Console

    res.print_summary(Console(width=100, force_terminal=False))
    out = capsys.readouterr().out
    assert "Hoofdstuk 2" in out and "FOUT" in out and "ch2.a.pct.1" in out
    assert len(out.splitlines()) < 40  # one screen
