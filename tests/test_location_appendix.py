"""Per-location tables above the limit go to a CSV appendix; the report grows at most linearly.

Issue 17, item 5: above :data:`analysis.present.display.MAX_LOCATIONS_INLINE` locations a table
with one row per location is replaced by one computed sentence with a link to a CSV file that
holds exactly the table that would have been shown (suppressed cells ``x`` included), and a
figure with one point per location shows a stated selection of that many locations.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.describe.disclosure import SUPPRESSED_MARK
from analysis.present import describe_tables as pr
from analysis.present import display, figures
from analysis.present import format as nf
from analysis.report.notebook_md import NotebookError, rewrite_csv_links

LIMIT = display.MAX_LOCATIONS_INLINE
MONTHS = ("2021-01", "2021-02", "2021-03")
CAPTION = "Aantal ongeplande gedwongen afzonderingen per locatie en maand"


def per_location_month(n_locations: int, seed: int = 0) -> pd.DataFrame:
    """Tidy registrations per location and month (the shape chapter 2 computes)."""
    rows = [
        {"locatie": f"L{i:04d}", "maand": m, "n": (7 * i + 3 * j + seed) % 11}
        for i in range(n_locations)
        for j, m in enumerate(MONTHS)
    ]
    return pd.DataFrame(rows)


def hidden_cells(n_locations: int) -> frozenset[str]:
    """A disclosure decision hiding some cells and row totals (keys as analysis.present.publish)."""
    cells = {f"L{i:04d}|m:{MONTHS[i % 3]}" for i in range(0, n_locations, 4)}
    totals = {f"L{i:04d}|T" for i in range(0, n_locations, 9)}
    return frozenset(cells | totals)


def shown_table(n_locations: int) -> pd.DataFrame:
    return pr.location_month_table(per_location_month(n_locations), hidden=hidden_cells(n_locations))


def markdown(n_locations: int, folder: Path) -> str:
    return display.location_table_markdown(
        shown_table(n_locations),
        label="ch2-per-location-month",
        caption=CAPTION,
        csv_dir=folder / "build" / "results" / "appendix",
        note="x: onderdrukt.",
    )


@pytest.fixture
def base(tmp_path: Path):
    display.set_base_dir(tmp_path)
    yield tmp_path
    display.set_base_dir(None)


def test_at_the_limit_the_table_is_inline_and_unchanged(base: Path) -> None:
    df = shown_table(LIMIT)
    md = markdown(LIMIT, base)
    assert md == nf.table_markdown(df, CAPTION, "ch2-per-location-month", note="x: onderdrukt.")
    assert "{#tbl-ch2-per-location-month}" in md
    assert not (base / "build" / "results" / "appendix" / "ch2-per-location-month.csv").exists()


def test_above_the_limit_a_sentence_links_the_csv(base: Path) -> None:
    md = markdown(LIMIT + 1, base)
    csv = base / "build" / "results" / "appendix" / "ch2-per-location-month.csv"
    assert csv.is_file()
    assert "{#tbl-" not in md and "| Locatie |" not in md
    # counts computed into the sentence, with a link relative to the notebook's folder
    assert f"telt {LIMIT + 1} locaties" in md and f"de {LIMIT} locaties" in md
    assert (
        "[`results/appendix/ch2-per-location-month.csv`](build/results/appendix/ch2-per-location-month.csv)"
        in md
    )
    assert "*Noot.* x: onderdrukt." in md


def test_the_csv_is_the_table_that_would_have_been_shown(base: Path) -> None:
    n = LIMIT + 7
    df = shown_table(n)
    markdown(n, base)
    back = pd.read_csv(base / "build" / "results" / "appendix" / "ch2-per-location-month.csv", dtype=str)
    assert list(back.columns) == list(df.columns)
    pd.testing.assert_frame_equal(back, df.astype(str), check_dtype=False)
    # the same suppression: every hidden key is an "x" in the file, nothing else is
    marks = int((back == SUPPRESSED_MARK).to_numpy().sum())
    assert marks == len(hidden_cells(n)) > 0
    md = markdown(n, base)
    assert f"met dezelfde {marks} onderdrukte cellen ({SUPPRESSED_MARK})" in md


def test_back_below_the_limit_no_stale_csv_stays(base: Path) -> None:
    markdown(LIMIT + 1, base)
    markdown(LIMIT - 1, base)
    assert not (base / "build" / "results" / "appendix" / "ch2-per-location-month.csv").exists()


def test_sentence_singular_and_without_hidden_cells() -> None:
    one = display.appendix_sentence("Titel.", LIMIT + 1, 1, "a.csv", "a.csv")
    assert "1 onderdrukte cel (x)" in one and "**Titel.**" in one
    none = display.appendix_sentence("Titel", LIMIT + 1, 0, "a.csv", "a.csv")
    assert "onderdrukt" not in none


@settings(max_examples=8, deadline=None)
@given(x=st.integers(min_value=LIMIT + 1, max_value=4 * LIMIT))
def test_report_text_grows_at_most_linearly(tmp_path_factory: pytest.TempPathFactory, x: int) -> None:
    folder = tmp_path_factory.mktemp("grow")
    display.set_base_dir(folder)
    try:
        small, large = len(markdown(x, folder)), len(markdown(2 * x, folder))
    finally:
        display.set_base_dir(None)
    # above the limit the markdown is one sentence: it does not grow with the rows at all
    assert large <= 2 * small + 100
    assert large - small <= 10
    inline = len(markdown(LIMIT, folder))
    assert small < inline  # the sentence is shorter than the table it replaces


def test_csv_links_are_rewritten_relative_to_the_html(tmp_path: Path) -> None:
    csv = tmp_path / "build" / "results" / "appendix" / "t.csv"
    csv.parent.mkdir(parents=True)
    csv.write_text("a\n1\n", "utf-8")
    html = tmp_path / "reports" / "_output"
    md = "zie [`results/appendix/t.csv`](build/results/appendix/t.csv)."
    out = rewrite_csv_links(md, [tmp_path / "build" / "notebooks", tmp_path], html)
    assert out == "zie [`results/appendix/t.csv`](../../build/results/appendix/t.csv)."
    with pytest.raises(NotebookError):
        rewrite_csv_links("[a](build/results/appendix/missing.csv)", [tmp_path], html)


def effects(n_locations: int, models: tuple[str, ...] = ("m1", "m2")) -> pd.DataFrame:
    rows = [
        {"model_id": m, "locatie": f"L{i:04d}", "exp_est": 0.5 + ((i * 37 + k) % 101) / 50}
        for k, m in enumerate(models)
        for i in range(n_locations)
    ]
    return pd.DataFrame(rows)


def test_figure_selection_at_and_above_the_limit() -> None:
    at = effects(LIMIT)
    shown, totals = figures.location_selection(at)
    assert totals == {} and len(shown) == len(at)
    assert figures.location_selection_caption(totals) == ""

    above = effects(3 * LIMIT + 5)
    shown, totals = figures.location_selection(above)
    assert totals == {"m1": 3 * LIMIT + 5, "m2": 3 * LIMIT + 5}
    for mid, g in shown.groupby("model_id"):
        full = above[above["model_id"] == mid]
        assert len(g) == LIMIT
        assert g["exp_est"].min() == full["exp_est"].min() and g["exp_est"].max() == full["exp_est"].max()
    cap = figures.location_selection_caption(totals)
    assert f"meer dan {LIMIT} locaties" in cap and f"tot {3 * LIMIT + 5} locaties" in cap
    assert "2 modellen" in cap and not cap.endswith(".")
