"""Executed notebook -> report markdown (analysis.report.notebook_md)."""

from pathlib import Path

import nbformat
import pytest

from render_demo import demo_notebook, write_figure
from analysis.report.notebook_md import NotebookError, convert


def _write(tmp_path: Path, nb) -> Path:
    (tmp_path / "build" / "notebooks").mkdir(parents=True)
    write_figure(tmp_path / "build" / "figures", "c2_fig1")
    write_figure(tmp_path / "build" / "figures", "c2_fig2")
    p = tmp_path / "build" / "notebooks" / "nb.ipynb"
    nbformat.write(nb, p)
    return p


def test_keeps_markdown_hides_code_and_drops_parameters(tmp_path):
    p = _write(tmp_path, demo_notebook("Hoofdstuk", 2, 2, 1))
    out = convert(p, figures_dir=tmp_path / "fig", figures_ref="_generated/figures")
    md = out.markdown
    assert md.startswith("# Hoofdstuk")
    assert "meting = 2" not in md  # parameters and injected-parameters cells are gone
    assert md.count('<details class="code-fold"><summary>Toon code</summary>') == 3
    assert md.count('when-format="html"') == 3  # code only in HTML
    assert out.figures == ["fig-c2-1", "fig-c2-2"] and out.tables == ["tbl-c2-1"]
    assert ": Demotabel 1 van hoofdstuk 2 {#tbl-c2-1}" in md
    assert "*Noot.*" in md


def test_figures_are_copied_and_referenced_without_extension(tmp_path):
    p = _write(tmp_path, demo_notebook("H", 2, 1, 0))
    out = convert(p, figures_dir=tmp_path / "fig", figures_ref="_generated/figures")
    assert "](_generated/figures/c2_fig1){#fig-c2-1}" in out.markdown
    assert (tmp_path / "fig" / "c2_fig1.svg").exists() and (tmp_path / "fig" / "c2_fig1.png").exists()


def test_svg_only_keeps_extension(tmp_path):
    p = _write(tmp_path, demo_notebook("H", 2, 1, 0))
    (tmp_path / "build" / "figures" / "c2_fig1.png").unlink()
    out = convert(p, figures_dir=tmp_path / "fig")
    assert "c2_fig1.svg){#fig-c2-1}" in out.markdown


def test_error_output_fails_loudly(tmp_path):
    p = _write(tmp_path, demo_notebook("H", 2, 0, 1, error=True))
    with pytest.raises(NotebookError, match="ZeroDivisionError"):
        convert(p, figures_dir=tmp_path / "fig")


def test_missing_figure_fails(tmp_path):
    p = _write(tmp_path, demo_notebook("H", 2, 1, 0))
    for f in (tmp_path / "build" / "figures").glob("c2_fig1.*"):
        f.unlink()
    with pytest.raises(NotebookError, match="not found"):
        convert(p, figures_dir=tmp_path / "fig")


def test_heading_shift_skips_code(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Titel\n\n```python\n# comment\n```")]
    p = tmp_path / "x.ipynb"
    nbformat.write(nb, p)
    md = convert(p, figures_dir=tmp_path / "f", shift_headings=1).markdown
    assert md.startswith("## Titel") and "\n# comment" in md
