"""Chapter-2 sentences of the chapter and of the report's summary come from one module."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.present import describe_text as dt
from analysis.present import summary


def _tables(counts: list[int], n_locations: int = 1) -> dict[str, pd.DataFrame]:
    per_month = pd.DataFrame({"maand": [f"2020-{9 + i:02d}" for i in range(len(counts))], "n": counts})
    coverage = pd.DataFrame({"locatie": [f"L{i:02d}" for i in range(n_locations)]})
    return {"ch2_fig01_per_month": per_month, "ch2_s2_1_coverage": coverage}


def test_summary_totals_and_course() -> None:
    assert dt.summary_chapter2([2], _tables([3, 0, 5], 2)) == [
        "In meting 2 registreerden 2 locaties samen 8 ongeplande gedwongen afzonderingen.",
        "Per maand steeg het aantal van 3 in september 2020 naar 5 in november 2020.",
    ]
    assert dt.summary_chapter2([2], _tables([4, 4]))[1] == (
        "Per maand bleef het aantal van 4 in september 2020 en was het 4 in oktober 2020 ook."
    )


def test_summary_with_no_registrations_says_only_that() -> None:
    assert dt.summary_chapter2([1], _tables([0, 0])) == [
        "In meting 1 registreerde 1 locatie samen geen ongeplande gedwongen afzonderingen."
    ]


def test_without_the_per_month_table_nothing_is_said() -> None:
    assert dt.summary_chapter2([2], {"ch2_s2_1_coverage": pd.DataFrame({"locatie": ["L01"]})}) == []
    assert dt.summary_chapter2([], _tables([1])) == []


def test_chapter_and_summary_name_the_same_first_and_last_month() -> None:
    t = _tables([1, 2])
    chapter = dt.totals(
        2,
        3,
        t["ch2_fig01_per_month"],
        t["ch2_s2_1_coverage"].assign(
            months_registered=2, months_period=2, late_start=False, ended_early=False
        ),
        2,
    )
    assert "(sep 2020)" in chapter and "(okt 2020)" in chapter
    assert (
        "september 2020" in dt.summary_chapter2([2], t)[1]
        and "oktober 2020" in dt.summary_chapter2([2], t)[1]
    )


def test_summary_reads_the_results_folder(tmp_path: Path) -> None:
    for name, df in _tables([2, 1]).items():
        df.to_csv(tmp_path / f"{name}.csv", index=False)
    pd.DataFrame({"result": ["ch2_fig01_per_month"], "metingen": ["2"]}).to_csv(
        tmp_path / "values.csv", index=False
    )
    assert summary.chapter2_sentences(tmp_path) == dt.summary_chapter2([2], _tables([2, 1]))
