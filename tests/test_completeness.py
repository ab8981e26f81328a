"""Completeness checks: a half-executed notebook or a report without its figures is not complete."""

from __future__ import annotations

import json
from pathlib import Path

from analysis.verify import completeness


def _notebook(
    path: Path, counts: list[int | None], *, error_in: int | None = None, labels: tuple[str, ...] = ()
) -> Path:
    cells = []
    for i, n in enumerate(counts):
        outputs = []
        if i == 0:
            outputs = [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"text/markdown": "".join(f"x {{#{lab}}}\n" for lab in labels)},
                }
            ]
        if error_in == i:
            outputs.append({"output_type": "error", "ename": "ValueError", "evalue": "boom", "traceback": []})
        cells.append(
            {
                "cell_type": "code",
                "source": f"x = {i}",
                "execution_count": n,
                "metadata": {},
                "outputs": outputs,
            }
        )
    cells.append({"cell_type": "code", "source": "", "execution_count": None, "metadata": {}, "outputs": []})
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_a_fully_executed_notebook_has_no_problems(tmp_path: Path) -> None:
    assert completeness.notebook_problems(_notebook(tmp_path / "a.ipynb", [1, 2, 3])) == []


def test_cells_that_did_not_run_are_reported(tmp_path: Path) -> None:
    """The stale-output probe: 5 of 12 code cells run, as left by a killed build."""
    nb = _notebook(tmp_path / "a.ipynb", [1, 2, 3, 4, 5] + [None] * 7)
    assert completeness.notebook_problems(nb) == [
        "a.ipynb: 7 of 12 code cells did not run (first: code cell 6)"
    ]


def test_an_error_output_is_reported(tmp_path: Path) -> None:
    nb = _notebook(tmp_path / "a.ipynb", [1, 2], error_in=1)
    assert completeness.notebook_problems(nb) == ["a.ipynb: code cell 2 raised ValueError"]


def test_absent_notebook_and_missing_results_file(tmp_path: Path) -> None:
    assert completeness.notebook_problems(tmp_path / "b.ipynb") == ["b.ipynb: not executed (file absent)"]
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "index.csv").write_text(
        "name,chapter,title,file,published_ids\na,2,t,a.csv,\nb,2,t,b.csv,\n"
    )
    (tmp_path / "res" / "a.csv").write_text("x\n1\n")
    assert completeness.results_problems(tmp_path / "res") == [
        f"results file missing: {tmp_path / 'res' / 'b.csv'}"
    ]


def test_report_must_show_every_figure_and_table_the_notebooks_display(tmp_path: Path) -> None:
    nb = _notebook(tmp_path / "02.ipynb", [1, 2], labels=("fig-a", "fig-b", "tbl-c"))
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 ...")
    html.write_text("<figure id='fig-a'></figure><div id=\"tbl-c\"></div>")
    found = completeness.check(html, pdf, [nb])
    assert not found.ok
    assert found.problems == ["report lacks figure fig-b"]
    assert found.summary() == "report INCOMPLETE (1 problem(s)): 1 of 2 figures, 1 of 1 tables"
    html.write_text("<figure id='fig-a'></figure><figure id='fig-b'></figure><div id=\"tbl-c\"></div>")
    assert completeness.check(html, pdf, [nb]).ok


def test_report_from_a_half_executed_notebook_is_incomplete(tmp_path: Path) -> None:
    nb = _notebook(tmp_path / "03.ipynb", [1, None], labels=("fig-a",))
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    html.write_text("<figure id='fig-a'></figure>")
    found = completeness.check(html, pdf, [nb, tmp_path / "01.ipynb"])
    assert found.problems == [
        "03.ipynb: 1 of 2 code cells did not run (first: code cell 2)",
        "01.ipynb: not executed (file absent)",
    ]
