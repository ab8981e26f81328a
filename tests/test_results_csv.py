"""Results CSVs: stated precision (two runs that differ by fitting noise write the same bytes)
and values that would start a spreadsheet formula neutralised."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.core.results import neutralise_formulas, write_csv, write_result


def test_fitting_noise_below_the_stated_precision_gives_the_same_bytes(tmp_path: Path) -> None:
    """ch3_sens_estimates.csv differed at 1e-11 between two cold builds."""
    a = pd.DataFrame({"term": ["maand"], "estimate": [-0.123456789012345]})
    b = a.assign(estimate=a["estimate"] + 1e-11)
    write_csv(a, tmp_path / "a.csv")
    write_csv(b, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_text() == "term,estimate\nmaand,-0.123456789\n"


def test_formula_leading_text_is_neutralised_and_numbers_are_not() -> None:
    df = pd.DataFrame(
        {
            "label": ['=HYPERLINK("x")', "+31 6", "-", "@SUM(A1)", "-1", "+2,5", "Agressie"],
            "n": [1, 2, 3, 4, 5, 6, 7],
        }
    )
    out = neutralise_formulas(df)
    assert out["label"].tolist() == [
        '\'=HYPERLINK("x")',
        "'+31 6",
        "'-",
        "'@SUM(A1)",
        "-1",
        "+2,5",
        "Agressie",
    ]
    assert out["n"].tolist() == df["n"].tolist()


def test_write_result_uses_the_same_writer(tmp_path: Path) -> None:
    path = write_result(tmp_path, "t", pd.DataFrame({"x": ["=1+1"], "v": [1 / 3]}), chapter="2", title="t")
    assert path.read_text() == "x,v\n'=1+1,0.3333333333\n"
