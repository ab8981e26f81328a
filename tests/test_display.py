"""The display contract with the renderer: one text/markdown output per artefact."""

from __future__ import annotations


import pandas as pd
import pytest

from analysis.present import display


def test_pipe_table_alignment_and_escaping():
    df = pd.DataFrame({"Categorie": ["a|b", "c"], "n": [1, 20], "%": ["5%", "<5"]})
    md = display.pipe_table(df).splitlines()
    assert md[0] == "| Categorie | n | % |"
    assert md[1].startswith("|:") and md[1].endswith("---:|")
    assert "a\\|b" in md[2]


def test_table_markdown_caption_label_and_note():
    md = display.table_markdown(pd.DataFrame({"x": [1.5]}), label="t1", caption="Titel", note="Let op")
    assert "| 1,5 |" in md
    assert ": Titel {#tbl-t1}" in md and "*Noot.* Let op" in md


def test_figure_markdown_relative_svg(tmp_path):
    svg, png = tmp_path / "figures" / "f.svg", tmp_path / "figures" / "f.png"
    display.set_base_dir(tmp_path / "notebooks")
    try:
        md = display.figure_markdown((svg, png), label="f1", caption="Cap")
    finally:
        display.set_base_dir(None)
    assert md.strip() == "![Cap](../figures/f.svg){#fig-f1}"
    with pytest.raises(ValueError):
        display.figure_markdown((png, svg), label="x", caption="y")


def test_emitters_produce_one_markdown_output(monkeypatch):
    seen = []
    import IPython.display as ipd

    monkeypatch.setattr(
        ipd, "display", lambda obj, raw=False, metadata=None: seen.append((obj, raw, metadata))
    )
    display.table(pd.DataFrame({"a": [1]}), label="t", caption="c")
    display.text("Hallo")
    display.metadata(display.pipe_table, "ch2_fig02_reason")
    assert len(seen) == 3 and all(set(o) == {"text/markdown"} and raw for o, raw, _ in seen)
    assert "`analysis.present.display.pipe_table`" in seen[2][0]["text/markdown"]
    assert seen[2][2]["text/markdown"]["provenance"]["result"] == "ch2_fig02_reason"
