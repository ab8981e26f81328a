"""Traceability of report artefacts: published number in the caption, provenance line, numbering."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.present import format as nf
from analysis.report import appendices, trace
from analysis.report.notebook_md import add_to_caption


def _trace(tmp_path: Path) -> trace.Trace:
    results = tmp_path / "build" / "results"
    (results / "models").mkdir(parents=True)
    pd.DataFrame({"x": [1]}).to_csv(results / "ch2_tab02_duration_by_reason.csv", index=False)
    pd.DataFrame(
        {
            "published_id": ["ch2.tab02.median.1", "ch2.tab02.median.2", "ch2.s2_1.n.total"],
            "value": [1.0, 2.0, 3.0],
            "result": ["ch2_tab02_duration_by_reason"] * 2 + ["ch2_s2_1_coverage"],
        }
    ).to_csv(results / "values.csv", index=False)
    pub = tmp_path / "published.csv"
    pd.DataFrame(
        {
            "id": ["ch2.tab02.median.1", "ch2.tab02.median.2", "ch2.s2_1.n.total"],
            "chapter": ["2", "2", "2"],
            "section": ["2.3", "2.3", "2.1"],
            "artefact": ["Tabel 2", "Tabel 2", "text"],
        }
    ).to_csv(pub, index=False)
    return trace.load(tmp_path, results, pub)


def test_caption_names_the_published_table(tmp_path: Path) -> None:
    t = _trace(tmp_path)
    assert trace.caption_suffix(t, "ch2_tab02_duration_by_reason") == " (rapport 2021: Tabel 2)"
    assert trace.caption_suffix(t, "ch2_s2_1_coverage") == " (rapport 2021: §2.1 (tekst))"
    assert trace.caption_suffix(t, "unknown") == ""
    block = "| a |\n|--:|\n| 1 |\n\n: Duur per aanleiding {#tbl-ch2-duration}\n"
    out = add_to_caption(block, " (rapport 2021: Tabel 2)")
    assert ": Duur per aanleiding (rapport 2021: Tabel 2) {#tbl-ch2-duration}" in out
    fig = "![Aanleiding (N = 10)](fig.svg){#fig-ch2-reason}\n"
    assert add_to_caption(fig, " (rapport 2021: Figuur 2)").startswith(
        "![Aanleiding (N = 10) (rapport 2021: Figuur 2)]"
    )


def test_provenance_line_points_to_csv_notebook_cell_and_ids(tmp_path: Path) -> None:
    t = _trace(tmp_path)
    line = trace.provenance_line(
        t,
        function="analysis.describe.timing.duration_by_reason",
        result="ch2_tab02_duration_by_reason",
        notebook="notebooks/02.ipynb",
        cell=16,
        start=tmp_path / "reports" / "_output",
    )
    assert line.startswith("::: {.provenance}")
    assert "`notebooks/02.ipynb`, cel 16" in line
    assert (
        "[`build/results/ch2_tab02_duration_by_reason.csv`](../../build/results/ch2_tab02_duration_by_reason.csv)"
        in line
    )
    assert "reproduceert 2 gepubliceerde cijfers (`ch2.tab02.*`; bijlage D)" in line


def test_appendix_d_maps_published_artefacts_to_this_report() -> None:
    md = appendices.published_map_md(
        {"tbl-ch2-duration": ["Tabel 2"], "fig-ch2-reason": ["Figuur 2"], "fig-ch2-goal": ["Figuur 10"]}
    )
    rows = [ln for ln in md.splitlines() if ln.startswith("| ") and "@" in ln]
    assert rows == [
        "| Tabel 2 | @tbl-ch2-duration |",
        "| Figuur 2 | @fig-ch2-reason |",
        "| Figuur 10 | @fig-ch2-goal |",
    ]
    assert appendices.published_map_md({}) == ""


def test_long_ids_may_wrap_and_headers_keep_their_width() -> None:
    assert appendices.breakable("ch3.count_month.p").replace(appendices.ZWSP, "") == "ch3.count_month.p"
    md = nf.table_markdown(
        pd.DataFrame({"Verplicht": ["ja"], "Toelichting": ["x" * 80]}), layout=nf.APPENDIX_TABLE
    )
    rule = md.splitlines()[1]
    assert rule.split("|")[1].count("-") >= len("Verplicht") + 2


def test_svg_optimisation_keeps_ids_and_turns_hatch_dots_into_arcs() -> None:
    from analysis.report.notebook_md import optimise_svg

    circle = (
        "M 0 72.6 C 0.159122 72.6 0.311748 72.53678 0.424264 72.424264 "
        "C 0.53678 72.311748 0.6 72.159122 0.6 72 C 0.6 71.840878 0.53678 71.688252 0.424264 71.575736 "
        "C 0.311748 71.46322 0.159122 71.4 0 71.4 C -0.159122 71.4 -0.311748 71.46322 -0.424264 71.575736 "
        "C -0.53678 71.688252 -0.6 71.840878 -0.6 72 C -0.6 72.159122 -0.53678 72.311748 -0.424264 72.424264 "
        "C -0.311748 72.53678 -0.159122 72.6 0 72.6 z"
    )
    svg = (
        f'<svg><metadata>m</metadata>\n <pattern id="h1a2b"><path d="{circle}" style="fill: #d9d9d9"/></pattern>\n'
        ' <path d="M 116.728125 237.276 L 3 4" clip-path="url(#p9fbbc0c051)"/>\n</svg>'
    )
    out = optimise_svg(svg)
    assert 'id="h1a2b"' in out and "url(#p9fbbc0c051)" in out and "#d9d9d9" in out
    assert "<metadata>" not in out and "M 116.73 237.28 L 3 4" in out
    assert "a0.60 0.60 0 1 0 1.20 0" in out and " C " not in out


def test_html_figures_inline_svg() -> None:
    import base64

    from analysis.report.pandoc_typst import inline_svg

    data = base64.b64encode(b'<?xml version="1.0"?>\n<svg viewBox="0 0 1 1"><path d="M0 0"/></svg>').decode()
    page = f'<figure><img role="img" aria-label="Figuur &amp; x" src="data:image/svg+xml;base64,{data}" /></figure>'
    out = inline_svg(page)
    assert out.startswith('<figure><svg role="img" class="figure-svg" aria-label="Figuur &amp; x" viewBox')
    assert "base64" not in out and "<?xml" not in out
