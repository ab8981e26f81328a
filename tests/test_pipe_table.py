"""The one Markdown table writer (:func:`analysis.present.format.pipe_table`) and its layouts."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from analysis.present import format as nf


def _rule(md: str) -> list[str]:
    return md.splitlines()[1].strip("|").split("|")


def test_cells_are_escaped_and_formatted() -> None:
    df = pd.DataFrame(
        {"Categorie": ["a|b", "regel\nnieuw", " c "], "n": [1, 20, 12345], "x": [1.25, None, 2.0]}
    )
    lines = nf.pipe_table(df).splitlines()
    assert lines[0] == "| Categorie | n | x |"
    assert lines[2] == "| a\\|b | 1 | 1,3 |"  # half-up
    assert lines[3] == "| regel nieuw | 20 |  |"
    assert lines[4] == "|  c  | 12.345 | 2 |"  # numbers by the format rules (thousands, whole floats)
    assert nf.pipe_table(df, layout=nf.APPENDIX_TABLE).splitlines()[4] == "| c | 12.345 | 2 |"


def test_notebook_headers_keep_the_spaces_that_size_their_column() -> None:
    # chapter 3 pads headers with spaces so the separator line follows the content
    lines = nf.pipe_table(pd.DataFrame({"Term      ": ["a"]})).splitlines()
    assert lines[0] == "| Term       |" and lines[1] == "|:----------|"


def test_notebook_layout_aligns_numeric_text_and_sizes_by_header() -> None:
    df = pd.DataFrame(
        {"Categorie": ["a", "b"], "%": ["5%", "<5"], "tijd": ["12:30", "9:05"], "ok": [True, False]}
    )
    assert _rule(nf.pipe_table(df)) == [":---------", "---:", "----:", ":---"]


def test_appendix_layout_sizes_by_content_and_header_words() -> None:
    df = pd.DataFrame({"Verplicht": ["ja"], "Toelichting": ["x" * 80], "Meting": ["1"], "n": [3]})
    rule = _rule(nf.pipe_table(df, layout=nf.APPENDIX_TABLE))
    # header word + 3; content capped at 45; text digits stay left (dtype decides); numbers right
    assert rule == [":" + "-" * 12, ":" + "-" * 45, ":" + "-" * 9, "-" * 4 + ":"]


def test_model_layout_pads_caps_and_ignores_zero_width_spaces() -> None:
    df = pd.DataFrame({"term": [f"a{nf.ZWSP}.b" * 3], "p": ["<\u00a00,001"], "b": ["1,25"], "%": ["5%"]})
    rule = _rule(nf.pipe_table(df, layout=nf.MODEL_TABLE))
    # 9 visible characters + 2; "<\u00a00,001" and "1,25" read as numbers, "5%" does not
    assert rule == [":" + "-" * 11, "-" * 9 + ":", "-" * 6 + ":", ":" + "-" * 4]
    assert _rule(nf.pipe_table(df, layout=replace(nf.MODEL_TABLE, cap=5)))[0] == ":" + "-" * 7


def test_explicit_alignment_wins() -> None:
    df = pd.DataFrame({"a": [1], "b": ["x"]})
    assert _rule(nf.pipe_table(df, align="lr")) == [":---", "---:"]


def test_table_markdown_caption_label_and_note() -> None:
    df = pd.DataFrame({"x": [1.5]})
    md = nf.table_markdown(df, "Titel", "t1", note="Let op")
    assert md == nf.pipe_table(df) + "\n\n: Titel {#tbl-t1}\n\n*Noot.* Let op\n"
    assert nf.table_markdown(df, "Titel") == nf.pipe_table(df) + "\n\n: Titel\n"
    assert nf.table_markdown(df) == nf.pipe_table(df) + "\n"


def test_empty_table_keeps_header_and_rule() -> None:
    md = nf.pipe_table(pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=str)}))
    assert md.splitlines() == ["| a | b |", "|---:|:---|"]
