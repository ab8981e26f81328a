"""The display contract with the renderer: one text/markdown output per artefact."""

from __future__ import annotations


import pandas as pd
import pytest

from analysis.present import display
from analysis.present import format as nf


def test_table_shows_the_one_writers_markdown(monkeypatch):
    seen = []
    monkeypatch.setattr(display, "_emit", lambda md, metadata=None: seen.append(md))
    df = pd.DataFrame({"x": [1.5]})
    display.table(df, label="t1", caption="Titel", note="Let op")
    assert seen == [nf.table_markdown(df, "Titel", "t1", note="Let op")]


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
    display.metadata(nf.pipe_table, "ch2_fig02_reason")
    assert len(seen) == 3 and all(set(o) == {"text/markdown"} and raw for o, raw, _ in seen)
    assert "`analysis.present.format.pipe_table`" in seen[2][0]["text/markdown"]
    assert seen[2][2]["text/markdown"]["provenance"]["result"] == "ch2_fig02_reason"
